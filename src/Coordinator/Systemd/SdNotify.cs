using System.Net.Sockets;
using System.Text;

namespace RedisHaActors.Coordinator.Systemd;

/// <summary>
/// The service manager's notification socket (sd_notify(3)): <c>READY=1</c>, <c>STOPPING=1</c>,
/// <c>WATCHDOG=1</c> and <c>STATUS=</c> datagrams to <c>$NOTIFY_SOCKET</c>. Written directly (a
/// datagram per message) rather than through Microsoft.Extensions.Hosting.Systemd, whose lifetime
/// says READY when the host has started, before the node has its first check.
/// Outside systemd (no <c>NOTIFY_SOCKET</c>) every call does nothing.
/// </summary>
internal sealed class SdNotify
{
    private readonly UnixDomainSocketEndPoint? _endpoint;

    /// <summary>The watchdog timeout systemd set for this process (<c>WatchdogSec=</c>); null when off.</summary>
    public TimeSpan? WatchdogTimeout { get; }

    /// <summary>True when a notification socket is configured.</summary>
    public bool Enabled => _endpoint is not null;

    private SdNotify(UnixDomainSocketEndPoint? endpoint, TimeSpan? watchdog)
    {
        _endpoint = endpoint;
        WatchdogTimeout = watchdog;
    }

    /// <summary>The process's notifier, from <c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c> and <c>WATCHDOG_PID</c>.</summary>
    public static SdNotify FromEnvironment()
    {
        var socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        UnixDomainSocketEndPoint? endpoint = null;
        // "@name" is Linux's abstract namespace (a leading NUL byte).
        if (!string.IsNullOrEmpty(socket) && (socket[0] == '/' || socket[0] == '@'))
            endpoint = new UnixDomainSocketEndPoint(socket[0] == '@' ? "\0" + socket[1..] : socket);
        TimeSpan? watchdog = null;
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        var forUs = string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (endpoint is not null && forUs && long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) && usec > 0)
            watchdog = TimeSpan.FromMicroseconds(usec);
        return new SdNotify(endpoint, watchdog);
    }

    /// <summary>Sends one notification (newline-separated assignments); false when it could not be sent.</summary>
    /// <param name="state">E.g. <c>"READY=1\nSTATUS=VRRP BACKUP"</c>.</param>
    public bool Notify(string state)
    {
        if (_endpoint is null) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), _endpoint);
            return true;
        }
        catch (SocketException)
        {
            // The manager went away (or this is a stale variable): notifications are advisory.
            return false;
        }
    }
}
