using Akka.Configuration;

namespace RedisHaActors.Configuration;

/// <summary>
/// All validated settings of one node, built once at start from the node file with the
/// embedded <c>reference.conf</c> as fallback. Immutable.
/// </summary>
/// <param name="Node">The <c>redis-ha.node</c> section.</param>
/// <param name="Vrrp">The <c>redis-ha.vrrp</c> section.</param>
/// <param name="Redis">The <c>redis-ha.redis</c> section.</param>
/// <param name="Config">The merged HOCON (node file over reference), for Akka's own keys.</param>
public sealed record HaSettings(NodeSettings Node, VrrpSettings Vrrp, RedisSettings Redis, Config Config)
{
    /// <summary>Root HOCON path of this product's keys.</summary>
    public const string Root = "redis-ha";

    /// <summary>Builds and validates settings from an already merged config.</summary>
    /// <exception cref="ConfigurationException">The first bad or unknown key.</exception>
    public static HaSettings Create(Config merged)
    {
        var node = NodeSettings.Create(new SettingsReader(merged, $"{Root}.node"));
        var vrrp = VrrpSettings.Create(new SettingsReader(merged, $"{Root}.vrrp"));
        var redis = RedisSettings.Create(new SettingsReader(merged, $"{Root}.redis"), new SettingsReader(merged, $"{Root}.redis.check"));
        return new HaSettings(node, vrrp, redis, merged);
    }

    /// <summary>Loads <paramref name="path"/>, applies defaults and validates.</summary>
    /// <exception cref="ConfigurationException">Unreadable file, bad syntax, unknown key, or a bad value.</exception>
    public static HaSettings Load(string path) => Create(HoconLoader.LoadFile(path));

    /// <summary>Parses HOCON text (includes resolve against <paramref name="baseDirectory"/>).</summary>
    /// <exception cref="ConfigurationException">As <see cref="Load"/>.</exception>
    public static HaSettings Parse(string hocon, string? baseDirectory = null) =>
        Create(HoconLoader.LoadText(hocon, baseDirectory ?? Directory.GetCurrentDirectory(), "<text>"));

    /// <summary>One-paragraph summary for <c>check-config</c> and the start-up log.</summary>
    public string Summary() =>
        $"node {Node.Name} ({Node.Role.ToString().ToLowerInvariant()}); " +
        $"vrrp v{Vrrp.Version} vrid {Vrrp.VirtualRouterId} on {Vrrp.Interface}, priority {Vrrp.Priority}, " +
        $"advert {Vrrp.AdvertInterval.TotalMilliseconds:0} ms, preempt {(Vrrp.Preempt ? "on" : "off")}, " +
        $"vip {string.Join(",", Vrrp.VirtualAddresses)}; " +
        $"redis {Redis.Host}:{Redis.Port}, check every {Redis.Check.Interval.TotalMilliseconds:0} ms " +
        $"(timeout {Redis.Check.Timeout.TotalMilliseconds:0} ms, rise {Redis.Check.Rise}, fall {Redis.Check.Fall}, weight {Redis.Check.Weight}), " +
        $"sync-timeout {Redis.SyncTimeout.TotalMilliseconds:0} ms";
}
