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
/// <param name="Status">The <c>redis-ha.status</c> section; null = defaults (endpoint off).</param>
/// <param name="Warnings">Accepted but questionable values, one line each (printed by check-config, logged at start).</param>
/// <param name="Guard">The cluster guard's settings; null = off (no seed nodes).</param>
/// <param name="Log">The <c>redis-ha.log</c> section; null = defaults (text).</param>
public sealed record HaSettings(NodeSettings Node, VrrpSettings Vrrp, RedisSettings Redis, Config Config,
    StatusSettings? Status = null, IReadOnlyList<string>? Warnings = null, ClusterGuardSettings? Guard = null, LogSettings? Log = null)
{
    /// <summary>Log settings in effect.</summary>
    public LogSettings Logging => Log ?? LogSettings.Default;

    /// <summary>Cluster guard settings in effect (disabled when none were given).</summary>
    public ClusterGuardSettings Cluster => Guard ?? new ClusterGuardSettings([], "", 4053, TwoVoterMode.Availability);

    /// <summary>Status endpoint settings in effect.</summary>
    public StatusSettings StatusEndpoint => Status ?? new StatusSettings((System.Net.IPEndPoint?)null);

    /// <summary>Warnings in effect (never null).</summary>
    public IReadOnlyList<string> ConfigWarnings => Warnings ?? [];

    /// <summary>Root HOCON path of this product's keys.</summary>
    public const string Root = "redis-ha";

    /// <summary>Builds and validates settings from an already merged config.</summary>
    /// <exception cref="ConfigurationException">The first bad or unknown key.</exception>
    public static HaSettings Create(Config merged)
    {
        var warnings = new List<string>();
        var node = NodeSettings.Create(new SettingsReader(merged, $"{Root}.node"));
        // A witness runs no VRRP and no Redis: its vrrp and redis sections are ignored (built from
        // the defaults so the rest of the code keeps one settings type).
        var dataSource = node.Role == NodeRole.Witness ? WitnessPlaceholder : merged;
        var vrrp = VrrpSettings.Create(new SettingsReader(dataSource, $"{Root}.vrrp"), new SettingsReader(dataSource, $"{Root}.vrrp.authentication"),
            node.Role == NodeRole.Witness ? [] : warnings);
        var redis = RedisSettings.Create(new SettingsReader(dataSource, $"{Root}.redis"), new SettingsReader(dataSource, $"{Root}.redis.check"),
            new SettingsReader(dataSource, $"{Root}.redis.tls"), node.Role == NodeRole.Witness ? [] : warnings);
        var status = StatusSettings.Create(new SettingsReader(merged, $"{Root}.status"));
        var guard = ClusterGuardSettings.Create(merged, new SettingsReader(merged, $"{Root}.cluster"), warnings);
        if (node.Role == NodeRole.Witness && !guard.Enabled)
            throw new ConfigurationException("akka.cluster.seed-nodes", "[]", "a witness needs the voters' addresses (it runs only the cluster guard)");
        var log = LogSettings.Create(new SettingsReader(merged, $"{Root}.log"));
        return new HaSettings(node, vrrp, redis, merged, status, warnings, guard, log);
    }

    private static readonly Config WitnessPlaceholder =
        ConfigurationFactory.ParseString($"{Root}.vrrp.virtual-ipaddress = [\"192.0.2.100/32\"]").WithFallback(HoconLoader.Reference);

    /// <summary>Loads <paramref name="path"/>, applies defaults and validates.</summary>
    /// <exception cref="ConfigurationException">Unreadable file, bad syntax, unknown key, or a bad value.</exception>
    public static HaSettings Load(string path) => Create(HoconLoader.LoadFile(path));

    /// <summary>Parses HOCON text (includes resolve against <paramref name="baseDirectory"/>).</summary>
    /// <exception cref="ConfigurationException">As <see cref="Load"/>.</exception>
    public static HaSettings Parse(string hocon, string? baseDirectory = null) =>
        Create(HoconLoader.LoadText(hocon, baseDirectory ?? Directory.GetCurrentDirectory(), "<text>"));

    /// <summary>One-paragraph summary for <c>check-config</c> and the start-up log.</summary>
    public string Summary() => Node.Role == NodeRole.Witness
        ? $"node {Node.Name} (witness); {ClusterSummary()}; status {(StatusEndpoint.Listen is { } w ? "http://" + w : "off")}"
        : $"node {Node.Name} ({Node.Role.ToString().ToLowerInvariant()}); " +
        $"vrrp v{Vrrp.Version} vrid {Vrrp.VirtualRouterId} on {Vrrp.Interface}, priority {Vrrp.Priority}, " +
        (Vrrp.Peers.Count > 0 ? $"unicast to {string.Join(",", Vrrp.Peers)}, " : "multicast, ") +
        (Vrrp.Auth.Type == VrrpAuthenticationType.Pass ? "auth pass, " : "") +
        $"advert {Vrrp.AdvertInterval.TotalMilliseconds:0} ms, preempt {(Vrrp.Preempt ? "on" : "off")}, " +
        $"vip {string.Join(",", Vrrp.VirtualAddresses)}; " +
        $"redis {Redis.Host}:{Redis.Port}, check every {Redis.Check.Interval.TotalMilliseconds:0} ms " +
        $"(timeout {Redis.Check.Timeout.TotalMilliseconds:0} ms, rise {Redis.Check.Rise}, fall {Redis.Check.Fall}, weight {Redis.Check.Weight}), " +
        $"sync-timeout {Redis.SyncTimeout.TotalMilliseconds:0} ms; {ClusterSummary()}; " +
        $"status {(StatusEndpoint.Listen is { } l ? "http://" + l : "off")}";

    private string ClusterSummary() => Cluster.Enabled
        ? $"cluster {Cluster.SelfAddress}, {Cluster.Voters.Count} voters (majority {Cluster.Majority}" +
          (Cluster.Voters.Count == 2 ? $", two-voter-mode {Cluster.TwoVoters.ToString().ToLowerInvariant()})" : ")")
        : "cluster guard off";
}
