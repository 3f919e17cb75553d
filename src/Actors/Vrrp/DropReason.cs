namespace RedisHaActors.Vrrp;

/// <summary>Why a received packet was not accepted (RFC 5798 §7.1). Counted per reason.</summary>
public enum DropReason
{
    /// <summary>Shorter than an IPv4 header plus the 8-byte VRRP header, or the IP header is inconsistent.</summary>
    Length,
    /// <summary>Not IPv4, or not IP protocol 112.</summary>
    NotVrrp,
    /// <summary>IP TTL is not 255: the packet crossed a router.</summary>
    Ttl,
    /// <summary>VRRP version field is not the configured version.</summary>
    Version,
    /// <summary>VRRP type is not 1 (ADVERTISEMENT).</summary>
    Type,
    /// <summary>VRID differs from ours: another virtual router on the same link.</summary>
    VirtualRouterId,
    /// <summary>The checksum does not verify.</summary>
    Checksum,
    /// <summary>The address count does not match the message length, or is zero.</summary>
    AddressCount,
    /// <summary>Max Adver Int is zero.</summary>
    AdvertInterval,
    /// <summary>The packet is one of our own adverts looped back.</summary>
    OwnAdvert,
    /// <summary>VRRPv2: Auth Type or the PASS password differs from ours (RFC 3768 §7.1; keepalived's check).</summary>
    Authentication,
    /// <summary>The advert's address list differs from ours (keepalived's check; see <c>skip-check-adv-addr</c>).</summary>
    AddressList,
    /// <summary>The source is not a known peer (<see cref="AdvertSources"/>: unicast-peers, the voters' gossiped VRRP addresses).</summary>
    UnknownSource,
}

/// <summary>Decoder output: either an advertisement or the reason it was dropped. Never both.</summary>
public readonly record struct DecodeResult(ReceivedAdvertisement? Packet, DropReason? Drop)
{
    /// <summary>True when <see cref="Packet"/> holds a valid advertisement.</summary>
    public bool IsValid => Packet is not null;

    internal static DecodeResult Dropped(DropReason reason) => new(null, reason);
}
