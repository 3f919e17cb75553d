using System.Net;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// Sends and receives VRRP datagrams on one interface, and follows that interface: the socket is
/// bound to one (index, primary address) pair and re-bound by the VRRP actor when the interface is
/// re-created or its address changes (see <see cref="InterfaceFollow"/>).
/// </summary>
public interface IVrrpTransport : IDisposable
{
    /// <summary>This node's primary IPv4 address on the interface, the source of our adverts; null while not bound.</summary>
    IPAddress? PrimaryAddress { get; }

    /// <summary>The kernel index of the interface the socket is bound to; null while not bound.</summary>
    int? InterfaceIndex { get; }

    /// <summary>Starts delivering received IPv4 datagrams (header included) to <paramref name="onDatagram"/>
    /// and the interface's state (first the current one, then each change) to <paramref name="onInterfaceChanged"/>,
    /// both on background threads, until disposed.</summary>
    void Start(Action<byte[]> onDatagram, Action<InterfaceState> onInterfaceChanged);

    /// <summary>(Re)binds the socket to the interface as <paramref name="state"/> describes it: bound to the
    /// device, 224.0.0.18 joined on its index, <see cref="InterfaceState.Primary"/> as the source.</summary>
    /// <param name="state">A <see cref="InterfaceState.Usable"/> state.</param>
    /// <exception cref="VrrpSocketException">The socket cannot be opened or set up (one line for the log).</exception>
    void Bind(InterfaceState state);

    /// <summary>Closes the socket (the interface is gone); sends fail until the next <see cref="Bind"/>.</summary>
    void Unbind();

    /// <summary>Sends one VRRP message (the kernel adds the IPv4 header, TTL 255).</summary>
    /// <param name="message">Encoded VRRP message.</param>
    /// <param name="destination">224.0.0.18 or a unicast peer.</param>
    /// <returns>false when the kernel refused the send or no socket is bound (logged by the caller, counted).</returns>
    bool Send(byte[] message, IPAddress destination);
}
