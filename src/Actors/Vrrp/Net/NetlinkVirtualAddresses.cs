using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RedisHaActors.Configuration;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// <see cref="IVirtualAddresses"/> as a kernel lease through rtnetlink (<see cref="RtNetlink"/>): the
/// equivalent of <c>ip addr replace VIP dev IF valid_lft N preferred_lft N</c> adds or renews
/// (kernel lifetimes are whole seconds), <c>ip addr del</c> removes. A killed process's VIP expires
/// by itself after the lease. Netlink instead of running <c>ip</c> saves a fork and exec of a
/// 100 MB process on every renewal.
/// </summary>
public sealed class NetlinkVirtualAddresses : IVirtualAddresses
{
    private readonly VrrpSettings _settings;
    private readonly IGratuitousArp _arp;
    private readonly ILogger _log;
    private readonly Channel<(string Op, TaskCompletionSource? Done)> _queue = Channel.CreateUnbounded<(string, TaskCompletionSource?)>(new() { SingleReader = true });
    private readonly Task _worker;
    private readonly Timer _garpDelay;
    private readonly Timer _garpRefresh;
    private bool _held;
    private int? _interfaceIndex;
    private readonly Lazy<RtNetlink> _netlink = new(RtNetlink.Open);

    /// <summary>Creates the manager for <paramref name="settings"/>'s interface and addresses.</summary>
    public NetlinkVirtualAddresses(VrrpSettings settings, IGratuitousArp arp, ILogger log)
    {
        _settings = settings;
        _arp = arp;
        _log = log;
        _garpDelay = new Timer(_ => Announce());
        _garpRefresh = new Timer(_ => Announce());
        // A dedicated thread: netlink calls and pcap sends block, and blocking pool threads would
        // delay the VRRP timers that run on the pool.
        _worker = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public void Acquire() => _queue.Writer.TryWrite(("acquire", null));

    /// <inheritdoc />
    public void Renew() => _queue.Writer.TryWrite(("renew", null));

    /// <inheritdoc />
    public void Announce() => _queue.Writer.TryWrite(("announce", null));

    /// <inheritdoc />
    public void Release() => _queue.Writer.TryWrite(("release", null));

    /// <inheritdoc />
    public bool Flush(TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(("flush", done))) return true;
        return done.Task.Wait(timeout);
    }

    private void Work()
    {
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!_queue.Reader.TryRead(out var item)) continue;
            var (op, done) = item;
            try
            {
                switch (op)
                {
                    case "acquire":
                        AddOrRenew();
                        _held = true;
                        SendGarp();
                        // keepalived's garp_master_delay: a second burst for neighbours that missed the first.
                        if (_settings.GarpMasterDelay > TimeSpan.Zero)
                            _garpDelay.Change(_settings.GarpMasterDelay, Timeout.InfiniteTimeSpan);
                        if (_settings.GarpMasterRefresh > TimeSpan.Zero)
                            _garpRefresh.Change(_settings.GarpMasterRefresh, _settings.GarpMasterRefresh);
                        break;
                    case "renew":
                        AddOrRenew();
                        break;
                    case "announce":
                        if (_held) SendGarp();
                        break;
                    case "release":
                        _held = false;
                        _garpDelay.Change(Timeout.Infinite, Timeout.Infinite);
                        _garpRefresh.Change(Timeout.Infinite, Timeout.Infinite);
                        foreach (var vip in _settings.VirtualAddresses)
                            WithInterface(index => _netlink.Value.Delete(index, vip.Address, vip.PrefixLength));
                        break;
                }
            }
            catch (Exception e)
            {
                _log.LogError("VIP {Operation} failed: {Error}", op, e.Message);
            }
            done?.TrySetResult();
        }
    }

    private void SendGarp() =>
        _arp.Announce(_settings.Interface, _settings.VirtualAddresses.Select(v => v.Address).ToArray(), _settings.GarpMasterRepeat);

    private void AddOrRenew()
    {
        var lifetime = (uint)_settings.VipLease.TotalSeconds;
        foreach (var vip in _settings.VirtualAddresses)
            WithInterface(index => _netlink.Value.Replace(index, vip.Address, vip.PrefixLength, lifetime));
    }

    private void WithInterface(Action<int> operation)
    {
        // The index is cached; an interface that was re-created gets a new one, so look again on failure.
        _interfaceIndex ??= InterfaceIndex();
        try
        {
            operation(_interfaceIndex.Value);
        }
        catch (InvalidOperationException)
        {
            var fresh = InterfaceIndex();
            if (fresh == _interfaceIndex) throw;
            _interfaceIndex = fresh;
            operation(fresh);
        }
    }

    private int InterfaceIndex()
    {
        try
        {
            return int.Parse(File.ReadAllText($"/sys/class/net/{_settings.Interface}/ifindex").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw new InvalidOperationException($"interface {_settings.Interface} not found");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _garpDelay.Dispose();
        _garpRefresh.Dispose();
        _queue.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
        if (_netlink.IsValueCreated) _netlink.Value.Dispose();
    }
}
