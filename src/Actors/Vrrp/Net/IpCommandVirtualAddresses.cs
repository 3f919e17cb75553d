using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RedisHaActors.Configuration;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// <see cref="IVirtualAddresses"/> through iproute2: <c>ip addr replace VIP dev IF valid_lft N
/// preferred_lft N</c> adds or renews (kernel lifetimes are whole seconds), <c>ip addr del</c>
/// removes. Arguments are passed as a list, never through a shell. A killed process's VIP expires
/// by itself after the lease.
/// </summary>
public sealed class IpCommandVirtualAddresses : IVirtualAddresses
{
    private readonly VrrpSettings _settings;
    private readonly IGratuitousArp _arp;
    private readonly ILogger _log;
    private readonly Channel<(string Op, TaskCompletionSource? Done)> _queue = Channel.CreateUnbounded<(string, TaskCompletionSource?)>(new() { SingleReader = true });
    private readonly Task _worker;
    private readonly Timer _garpDelay;
    private readonly Timer _garpRefresh;
    private bool _held;

    /// <summary>Creates the manager for <paramref name="settings"/>'s interface and addresses.</summary>
    public IpCommandVirtualAddresses(VrrpSettings settings, IGratuitousArp arp, ILogger log)
    {
        _settings = settings;
        _arp = arp;
        _log = log;
        _garpDelay = new Timer(_ => Announce());
        _garpRefresh = new Timer(_ => Announce());
        // A dedicated thread: `ip` is a blocking child process, and blocking pool threads would
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
                            Run(["addr", "del", vip.ToString(), "dev", _settings.Interface], quietIfMissing: true);
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
        var lft = ((int)_settings.VipLease.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        foreach (var vip in _settings.VirtualAddresses)
            Run(["addr", "replace", vip.ToString(), "dev", _settings.Interface, "valid_lft", lft, "preferred_lft", lft], quietIfMissing: false);
    }

    private void Run(string[] args, bool quietIfMissing)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ip");
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(5000))
        {
            p.Kill();
            throw new InvalidOperationException($"ip {string.Join(' ', args)} did not finish within 5 s");
        }
        if (p.ExitCode != 0 && !(quietIfMissing && (err.Contains("Cannot assign requested address", StringComparison.Ordinal) || err.Contains("Address not found", StringComparison.Ordinal))))
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {err.Trim()}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _garpDelay.Dispose();
        _garpRefresh.Dispose();
        _queue.Writer.TryComplete();
        _worker.Wait(TimeSpan.FromSeconds(5));
    }
}
