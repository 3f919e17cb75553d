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
/// 100 MB process on every renewal. Two threads: the lease queue (add, renew, release, in order)
/// and the gratuitous-ARP queue, so a renewal never waits behind an ARP burst (pcap opens the
/// device and sends <c>garp_master_repeat</c> frames per address).
/// </summary>
public sealed class NetlinkVirtualAddresses : IVirtualAddresses
{
    private volatile VrrpSettings _settings;
    private readonly IGratuitousArp _arp;
    private readonly ILogger _log;
    private readonly Channel<(VipOperation? Op, TaskCompletionSource? Done)> _queue =
        Channel.CreateUnbounded<(VipOperation?, TaskCompletionSource?)>(new() { SingleReader = true });
    // One pending burst is enough: requests that arrive while one waits add nothing.
    private readonly Channel<bool> _garpQueue =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Thread _worker;
    private readonly Thread _garpWorker;
    private readonly Timer _garpDelay;
    private readonly Timer _garpRefresh;
    private volatile bool _held;
    private volatile bool _noExpiry;
    private int? _interfaceIndex;
    private readonly Lazy<RtNetlink> _netlink = new(RtNetlink.Open);
    private Action<VirtualAddressesFailed>? _onFailed;

    /// <summary>Creates the manager for <paramref name="settings"/>'s interface and addresses.</summary>
    public NetlinkVirtualAddresses(VrrpSettings settings, IGratuitousArp arp, ILogger log)
    {
        _settings = settings;
        _arp = arp;
        _log = log;
        _garpDelay = new Timer(_ => Announce());
        _garpRefresh = new Timer(_ => Announce());
        // Dedicated threads: netlink calls and pcap sends block, and blocking pool threads would
        // delay the VRRP timers that run on the pool.
        _worker = new Thread(Work) { IsBackground = true, Name = "vip-lease" };
        _garpWorker = new Thread(WorkGarp) { IsBackground = true, Name = "vip-garp" };
        _worker.Start();
        _garpWorker.Start();
    }

    /// <summary>
    /// Removes this node's virtual addresses at once, on the caller's thread: the first thing a node
    /// does anyway (stale VIPs of an earlier run), done before the node starts so a missing
    /// capability is found there.
    /// </summary>
    /// <param name="settings">The interface and addresses.</param>
    /// <exception cref="NetlinkException">The kernel refused (<see cref="NetlinkException.NotPermitted"/>: no CAP_NET_ADMIN).</exception>
    /// <exception cref="InvalidOperationException">Netlink did not answer.</exception>
    public static void ReleaseNow(VrrpSettings settings)
    {
        using var netlink = RtNetlink.Open();
        // An interface that does not exist yet holds no VIP; index 0 still asks the kernel, which
        // checks the capability before it looks for the device (then ENODEV: nothing to remove).
        int index;
        try
        {
            index = InterfaceIndex(settings.Interface);
        }
        catch (InvalidOperationException)
        {
            index = 0;
        }
        foreach (var vip in settings.VirtualAddresses)
        {
            try
            {
                netlink.Delete(index, vip.Address, vip.PrefixLength);
            }
            catch (NetlinkException e) when (e.Errno == NoSuchDevice) { }
        }
    }

    private const int NoSuchDevice = 19;

    /// <summary>
    /// Whether one of the node's virtual addresses is on its interface with no expiry: the mark a master leaves when
    /// it stops (or is killed) in maintenance mode. The node then starts paused and keeps it, instead of removing it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Netlink did not answer.</exception>
    public static bool HeldWithoutExpiry(VrrpSettings settings)
    {
        int index;
        try
        {
            index = InterfaceIndex(settings.Interface);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        using var netlink = RtNetlink.Open();
        return netlink.PermanentAddresses(index).Any(a => settings.VirtualAddresses.Any(v => v.Address.Equals(a)));
    }

    /// <inheritdoc />
    public void Start(Action<VirtualAddressesFailed> onFailed) => _onFailed = onFailed;

    /// <inheritdoc />
    public void KeepWithoutExpiry(bool on) => _noExpiry = on;

    /// <inheritdoc />
    public void Reconfigure(VrrpSettings settings)
    {
        var refreshChanged = settings.GarpMasterRefresh != _settings.GarpMasterRefresh;
        _settings = settings;
        if (refreshChanged && _held)
        {
            if (settings.GarpMasterRefresh > TimeSpan.Zero) _garpRefresh.Change(settings.GarpMasterRefresh, settings.GarpMasterRefresh);
            else _garpRefresh.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <inheritdoc />
    public void Acquire() => _queue.Writer.TryWrite((VipOperation.Acquire, null));

    /// <inheritdoc />
    public void Renew() => _queue.Writer.TryWrite((VipOperation.Renew, null));

    /// <inheritdoc />
    public void Announce() => _garpQueue.Writer.TryWrite(true);

    /// <inheritdoc />
    public void Release() => _queue.Writer.TryWrite((VipOperation.Release, null));

    /// <inheritdoc />
    public bool Flush(TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((null, done))) return true;
        return done.Task.Wait(timeout);
    }

    private void Work()
    {
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!_queue.Reader.TryRead(out var item)) continue;
            var (op, done) = item;
            if (op is { } operation)
            {
                try
                {
                    Execute(operation);
                }
                catch (Exception e)
                {
                    // The actor decides (a master that cannot hold the VIP yields); here only the fact.
                    _log.LogError("VIP {Operation} failed: {Error}", operation.ToString().ToLowerInvariant(), e.Message);
                    _onFailed?.Invoke(new VirtualAddressesFailed(operation, e.Message));
                }
            }
            done?.TrySetResult();
        }
    }

    private void Execute(VipOperation operation)
    {
        switch (operation)
        {
            case VipOperation.Acquire:
                AddOrRenew();
                _held = true;
                Announce();
                // keepalived's garp_master_delay: a second burst for neighbours that missed the first.
                if (_settings.GarpMasterDelay > TimeSpan.Zero)
                    _garpDelay.Change(_settings.GarpMasterDelay, Timeout.InfiniteTimeSpan);
                if (_settings.GarpMasterRefresh > TimeSpan.Zero)
                    _garpRefresh.Change(_settings.GarpMasterRefresh, _settings.GarpMasterRefresh);
                break;
            case VipOperation.Renew:
                AddOrRenew();
                break;
            case VipOperation.Release:
                _held = false;
                _garpDelay.Change(Timeout.Infinite, Timeout.Infinite);
                _garpRefresh.Change(Timeout.Infinite, Timeout.Infinite);
                foreach (var vip in _settings.VirtualAddresses)
                    WithInterface(index => _netlink.Value.Delete(index, vip.Address, vip.PrefixLength));
                break;
        }
    }

    private void WorkGarp()
    {
        while (_garpQueue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!_garpQueue.Reader.TryRead(out _) || !_held) continue;
            try
            {
                _arp.Announce(_settings.Interface, _settings.VirtualAddresses.Select(v => v.Address).ToArray(), _settings.GarpMasterRepeat);
            }
            catch (Exception e)
            {
                // The VIP is held; neighbours learn it at their next ARP. Worth a line, not a yield.
                _log.LogWarning("gratuitous ARP for the VIP failed: {Error}", e.Message);
            }
        }
    }

    private void AddOrRenew()
    {
        // 0xFFFFFFFF is the kernel's "forever" (the address is then flagged IFA_F_PERMANENT): a paused master's VIP.
        var lifetime = _noExpiry ? uint.MaxValue : (uint)_settings.VipLease.TotalSeconds;
        foreach (var vip in _settings.VirtualAddresses)
            WithInterface(index => _netlink.Value.Replace(index, vip.Address, vip.PrefixLength, lifetime));
    }

    private void WithInterface(Action<int> operation)
    {
        // The index is cached; an interface that was re-created gets a new one, so look again on failure.
        _interfaceIndex ??= InterfaceIndex(_settings.Interface);
        try
        {
            operation(_interfaceIndex.Value);
        }
        catch (InvalidOperationException)
        {
            var fresh = InterfaceIndex(_settings.Interface);
            if (fresh == _interfaceIndex) throw;
            _interfaceIndex = fresh;
            operation(fresh);
        }
    }

    private static int InterfaceIndex(string name)
    {
        try
        {
            return int.Parse(File.ReadAllText($"/sys/class/net/{name}/ifindex").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            throw new InvalidOperationException($"interface {name} not found");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _garpDelay.Dispose();
        _garpRefresh.Dispose();
        _queue.Writer.TryComplete();
        _garpQueue.Writer.TryComplete();
        _worker.Join(TimeSpan.FromSeconds(5));
        _garpWorker.Join(TimeSpan.FromSeconds(5));
        if (_netlink.IsValueCreated) _netlink.Value.Dispose();
    }
}
