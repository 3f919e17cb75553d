using RedisHaActors.Configuration;

namespace RedisHaActors.Vrrp;

/// <summary>What a received advert must match to be accepted (RFC 5798 §7.1, RFC 3768 §7.1).</summary>
/// <param name="Version">2 or 3; adverts of the other version are dropped.</param>
/// <param name="VirtualRouterId">Our VRID.</param>
/// <param name="Authentication">v2: the Auth Type and password adverts must carry.</param>
/// <param name="AdvertIntervalCentiseconds">v2: adverts with another interval are dropped (RFC 3768 §7.1);
/// v3 learns the master's interval instead.</param>
public sealed record VrrpWireOptions(int Version, byte VirtualRouterId, VrrpAuthentication Authentication, ushort AdvertIntervalCentiseconds)
{
    /// <summary>The options of a configured instance.</summary>
    public static VrrpWireOptions From(VrrpSettings settings) =>
        new(settings.Version, settings.VirtualRouterId, settings.Auth, settings.AdvertIntervalCentiseconds);
}
