using System.Net;

namespace RedisHaActors.Vrrp.Net;

/// <summary>Sends and receives VRRP datagrams on one interface.</summary>
public interface IVrrpTransport : IDisposable
{
    /// <summary>This node's primary IPv4 address on the interface: the source of our adverts.</summary>
    IPAddress PrimaryAddress { get; }

    /// <summary>Starts delivering received IPv4 datagrams (header included) to <paramref name="onDatagram"/>
    /// on a background thread until disposed.</summary>
    void Start(Action<byte[]> onDatagram);

    /// <summary>Sends one VRRP message (the kernel adds the IPv4 header, TTL 255).</summary>
    /// <param name="message">Encoded VRRP message.</param>
    /// <param name="destination">224.0.0.18 or a unicast peer.</param>
    /// <returns>false when the kernel refused the send (logged by the caller, counted).</returns>
    bool Send(byte[] message, IPAddress destination);

    /// <summary>Whether the interface is up and still has an IPv4 address (else VRRP goes to FAULT).</summary>
    /// <param name="reason">What was seen, for the log ("eth0 operstate down").</param>
    bool LinkUp(out string reason);
}
