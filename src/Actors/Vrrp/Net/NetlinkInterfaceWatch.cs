using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// Follows one interface through rtnetlink notifications (rtnetlink(7)): a NETLINK_ROUTE socket bound
/// to RTMGRP_LINK | RTMGRP_IPV4_IFADDR, read on its own thread. When a link or IPv4 address message
/// concerns the interface (by name, or by its last known index), the state is read again
/// (<see cref="RtNetlink.ReadInterface"/>) and reported if it changed. The first state is always
/// reported. Lost notifications (ENOBUFS) and a slow fallback (<see cref="FallbackInterval"/>) also
/// read again, so a missed event cannot leave the node deaf for good.
/// </summary>
public sealed class NetlinkInterfaceWatch : IDisposable
{
    /// <summary>How often the state is read without a notification: a safety net only, 30 s (two netlink requests).</summary>
    public static readonly TimeSpan FallbackInterval = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan StopLatency = TimeSpan.FromMilliseconds(500);
    private const int NetlinkRoute = 0;
    private const uint RtmgrpLink = 0x1;
    private const uint RtmgrpIpv4IfAddr = 0x10;

    private readonly string _name;
    private readonly IReadOnlyCollection<IPAddress> _exclude;
    private readonly Action<InterfaceState> _onChanged;
    private readonly Socket _events;
    private readonly RtNetlink _reader;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private InterfaceState? _last;

    private NetlinkInterfaceWatch(string name, IReadOnlyCollection<IPAddress> exclude, Action<InterfaceState> onChanged, Socket events, RtNetlink reader)
    {
        _name = name;
        _exclude = exclude;
        _onChanged = onChanged;
        _events = events;
        _reader = reader;
        _thread = new Thread(Run) { IsBackground = true, Name = "vrrp-ifwatch" };
    }

    /// <summary>Subscribes and starts the thread; <paramref name="onChanged"/> is called on that thread.</summary>
    /// <param name="name">The interface to follow.</param>
    /// <param name="exclude">Addresses that are never the primary (our VIPs).</param>
    /// <param name="onChanged">Receives the first state and every change.</param>
    /// <exception cref="InvalidOperationException">The netlink sockets cannot be opened or bound.</exception>
    public static NetlinkInterfaceWatch Start(string name, IReadOnlyCollection<IPAddress> exclude, Action<InterfaceState> onChanged)
    {
        var events = Subscribe();
        RtNetlink reader;
        try
        {
            reader = RtNetlink.Open();
        }
        catch
        {
            events.Dispose();
            throw;
        }
        var watch = new NetlinkInterfaceWatch(name, exclude, onChanged, events, reader);
        watch._thread.Start();
        return watch;
    }

    private static unsafe Socket Subscribe()
    {
        var fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NetlinkRoute);
        if (fd < 0) throw new InvalidOperationException($"cannot open an rtnetlink socket (errno {Marshal.GetLastPInvokeError()})");
        // struct sockaddr_nl: family (u16), pad (u16), pid (u32, 0 = the kernel assigns), groups (u32)
        var address = stackalloc byte[12];
        new Span<byte>(address, 12).Clear();
        *(ushort*)address = (ushort)LibC.AF_NETLINK;
        *(uint*)(address + 8) = RtmgrpLink | RtmgrpIpv4IfAddr;
        if (LibC.bind(fd, (sockaddr*)address, 12) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibC.close(fd);
            throw new InvalidOperationException($"cannot subscribe to rtnetlink link and address events (errno {errno})");
        }
        // Closing a netlink socket does not wake a blocked receive: wake up now and then to see a stop.
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true)) { ReceiveTimeout = (int)StopLatency.TotalMilliseconds };
    }

    private void Run()
    {
        try
        {
            var buffer = new byte[65536];
            Read();
            var lastRead = Environment.TickCount64;
            while (!_stopping)
            {
                int n;
                try
                {
                    n = _events.Receive(buffer);
                }
                catch (SocketException e) when (!_stopping && e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    if (Environment.TickCount64 - lastRead < FallbackInterval.TotalMilliseconds) continue;
                    n = 0;
                }
                catch (SocketException) when (!_stopping)
                {
                    // ENOBUFS: notifications were lost, so read the state again.
                    n = 0;
                }
                if (_stopping) return;
                if (n > 0 && !Concerns(RtNetlinkMessages.Parse(buffer.AsSpan(0, n)))) continue;
                Read();
                lastRead = Environment.TickCount64;
            }
        }
        catch (Exception) when (_stopping)
        {
            // Disposed under us: nothing to report any more.
        }
        finally
        {
            _events.Dispose();
            _reader.Dispose();
        }
    }

    private bool Concerns(IReadOnlyList<RtNetlinkMessage> messages)
    {
        var index = _last?.Index;
        foreach (var m in messages)
        {
            if (m is LinkMessage l && (l.Name == _name || l.Index == index)) return true;
            // Our own VIP renewals (RTM_NEWADDR every quarter lease) change nothing we follow.
            if (m is AddressMessage a && (index is null || a.Index == index) && !_exclude.Contains(a.Address)) return true;
        }
        return false;
    }

    private void Read()
    {
        InterfaceState state;
        try
        {
            state = _reader.ReadInterface(_name, _exclude);
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException)
        {
            // No answer this time; the next notification or the fallback tries again.
            return;
        }
        if (state == _last || _stopping) return;
        _last = state;
        _onChanged(state);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // The thread closes the sockets when it sees this (within StopLatency); nothing is reported after.
        _stopping = true;
    }
}
