using System.Net;

namespace RedisHaActors.Vrrp;

/// <summary>
/// One VRRP advertisement (RFC 5798 §5.2; RFC 3768 §5.3 for v2), without the IP header.
/// </summary>
/// <param name="Version">2 or 3.</param>
/// <param name="VirtualRouterId">VRID 1..255.</param>
/// <param name="Priority">0 = the master is leaving (RFC 5798 §6.4.3); 1..254 backups; 255 owner.</param>
/// <param name="MaxAdvertIntervalCentiseconds">v3: Max Adver Int in centiseconds (12 bits, 1..4095).
/// v2: the Adver Int in seconds times 100.</param>
/// <param name="Addresses">IPv4 virtual addresses carried in the advert.</param>
public sealed record VrrpAdvertisement(
    byte Version,
    byte VirtualRouterId,
    byte Priority,
    ushort MaxAdvertIntervalCentiseconds,
    IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>The advertised interval as a duration.</summary>
    public TimeSpan MaxAdvertInterval => TimeSpan.FromMilliseconds(MaxAdvertIntervalCentiseconds * 10);

    /// <summary>Value equality including the address list (records compare lists by reference).</summary>
    public bool Equals(VrrpAdvertisement? other) =>
        other is not null && Version == other.Version && VirtualRouterId == other.VirtualRouterId &&
        Priority == other.Priority && MaxAdvertIntervalCentiseconds == other.MaxAdvertIntervalCentiseconds &&
        Addresses.SequenceEqual(other.Addresses);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, VirtualRouterId, Priority, MaxAdvertIntervalCentiseconds, Addresses.Count);
}

/// <summary>An advertisement with the IPv4 header fields that RFC 5798 §7.1 checks.</summary>
/// <param name="Source">IPv4 source: the sender's primary address, used for tie-breaks and as the master's address.</param>
/// <param name="Destination">224.0.0.18 for multicast, or a unicast peer address.</param>
/// <param name="Ttl">Must be 255 (RFC 5798 §7.1).</param>
/// <param name="Advertisement">The VRRP message.</param>
public sealed record ReceivedAdvertisement(IPAddress Source, IPAddress Destination, byte Ttl, VrrpAdvertisement Advertisement);
