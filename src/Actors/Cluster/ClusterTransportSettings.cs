using System.Globalization;
using Akka.Configuration;

namespace RedisHaActors.Cluster;

/// <summary>
/// The settings of <see cref="ClusterTlsTransport"/>, read from Akka's own section <c>akka.remote.dot-netty.tcp</c> (the
/// section the transport is configured under), so a node file keeps the keys it has: <c>hostname</c>, <c>port</c>,
/// <c>public-hostname</c>, <c>public-port</c>, <c>maximum-frame-size</c>, <c>connection-timeout</c>, <c>byte-order</c>,
/// <c>backlog</c>.
/// Their defaults are Akka's (its reference configuration under the section). Keys of that section about DotNetty itself
/// (worker pools, batching, buffer sizes) have no meaning here and are ignored.
/// </summary>
/// <param name="Hostname">Address or name to listen on; "" = every IPv4 address.</param>
/// <param name="PublicHostname">Host of this node's cluster address; defaults to <paramref name="Hostname"/>.</param>
/// <param name="Port">Port to listen on, 0..65535 (0 = any free port).</param>
/// <param name="PublicPort">Port of this node's cluster address; null = the bound port.</param>
/// <param name="MaximumFrameSize">Largest frame, its 4-byte length included (as Akka counts it), bytes, at least 32000 (Akka's minimum).</param>
/// <param name="ConnectionTimeout">Longest TCP connect plus TLS handshake of an outbound connection, and longest wait for Akka
/// to claim a connection; inbound handshakes get <see cref="InboundHandshakeTimeout"/>.</param>
/// <param name="LittleEndian">Byte order of the frame lengths (<see cref="ClusterFrames"/>).</param>
/// <param name="FlushWait">Longest wait for queued frames on a closing connection (<c>akka.remote.flush-wait-on-shutdown</c>).</param>
/// <param name="Backlog">Connections the kernel queues for accepting, at least 1 (the system caps it, <c>net.core.somaxconn</c>).</param>
public sealed record ClusterTransportSettings(string Hostname, string PublicHostname, int Port, int? PublicPort, int MaximumFrameSize,
    TimeSpan ConnectionTimeout, bool LittleEndian, TimeSpan FlushWait, int Backlog)
{
    /// <summary>Longest inbound handshake whatever <c>connection-timeout</c> says (<see cref="InboundHandshakeTimeout"/>).</summary>
    public static readonly TimeSpan MaxInboundHandshake = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest handshake of a connection a peer opened: <see cref="ConnectionTimeout"/>, at most
    /// <see cref="MaxInboundHandshake"/>. A set's node completes it in milliseconds; a host that connects and stays
    /// silent holds one of the few handshake slots (<see cref="HandshakeSlots"/>) no longer than this, while
    /// connection-timeout may be long for outbound connects over a slow link.
    /// </summary>
    public TimeSpan InboundHandshakeTimeout => ConnectionTimeout < MaxInboundHandshake ? ConnectionTimeout : MaxInboundHandshake;

    /// <summary>Akka's least <c>maximum-frame-size</c>, bytes.</summary>
    public const int MinimumFrameSize = 32000;

    /// <summary>Reads the settings.</summary>
    /// <param name="section">The transport's section (<c>akka.remote.dot-netty.tcp</c> with Akka's defaults under it).</param>
    /// <param name="system">The actor system's whole configuration (for <c>akka.remote.flush-wait-on-shutdown</c>).</param>
    /// <exception cref="ConfigurationException">A value is out of range; the message names the key.</exception>
    public static ClusterTransportSettings From(Config section, Config system)
    {
        var hostname = section.GetString("hostname", "") ?? "";
        var publicHostname = section.GetString("public-hostname", "") ?? "";
        var port = section.GetInt("port", 2552);
        var publicPort = section.GetInt("public-port", 0);
        var frame = section.GetByteSize("maximum-frame-size", null) ?? 128000;
        var order = (section.GetString("byte-order", "little-endian") ?? "little-endian").ToLowerInvariant();
        if (port is < 0 or > 65535) throw Bad("port", port.ToString(CultureInfo.InvariantCulture), "0..65535");
        if (publicPort is < 0 or > 65535) throw Bad("public-port", publicPort.ToString(CultureInfo.InvariantCulture), "0..65535");
        if (frame is < MinimumFrameSize or > int.MaxValue)
            throw Bad("maximum-frame-size", frame.ToString(CultureInfo.InvariantCulture), $"{MinimumFrameSize} bytes or more");
        if (order is not ("little-endian" or "big-endian")) throw Bad("byte-order", order, "little-endian, big-endian");
        var timeout = section.GetTimeSpan("connection-timeout", TimeSpan.FromSeconds(15));
        if (timeout <= TimeSpan.Zero) throw Bad("connection-timeout", timeout.ToString(), "more than 0");
        var backlog = section.GetInt("backlog", 4096);
        if (backlog < 1) throw Bad("backlog", backlog.ToString(CultureInfo.InvariantCulture), "1 or more");
        return new ClusterTransportSettings(hostname, publicHostname.Length > 0 ? publicHostname : hostname, port, publicPort > 0 ? publicPort : null,
            (int)frame, timeout, order == "little-endian", system.GetTimeSpan("akka.remote.flush-wait-on-shutdown", TimeSpan.FromSeconds(2)), backlog);
    }

    private static ConfigurationException Bad(string key, string value, string allowed) =>
        new($"akka.remote.dot-netty.tcp.{key} = {value}: allowed {allowed}");
}
