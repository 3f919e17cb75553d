using Akka.Configuration;

namespace RedisHaActors.Configuration;

/// <summary>
/// All validated settings of one node, built once at start from the node file with the
/// embedded <c>reference.conf</c> as fallback. Immutable.
/// </summary>
/// <param name="Node">The <c>redis-ha.node</c> section.</param>
/// <param name="Vrrp">The <c>redis-ha.vrrp</c> section.</param>
/// <param name="Redis">The <c>redis-ha.redis</c> section.</param>
/// <param name="Config">The node file's <c>akka</c> section, for Akka's own keys; never the <c>redis-ha</c> keys (secrets).</param>
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
        var status = StatusSettings.Create(new SettingsReader(merged, $"{Root}.status"), warnings);
        var guard = ClusterGuardSettings.Create(merged, new SettingsReader(merged, $"{Root}.cluster"), warnings);
        if (node.Role == NodeRole.Witness && !guard.Enabled)
            throw new ConfigurationException("akka.cluster.seed-nodes", "[]", "a witness needs the voters' addresses (it runs only the cluster guard)");
        var log = LogSettings.Create(new SettingsReader(merged, $"{Root}.log"));
        return new HaSettings(node, vrrp, redis, HoconLoader.AkkaSection(merged), status, warnings, guard, log);
    }

    /// <summary>Whether a secret is written in the node file itself (not in a file of its own).</summary>
    private bool InlineSecret =>
        (Node.Role == NodeRole.Data && Redis.Password.Length > 0 && Redis.PasswordFile.Length == 0) || Vrrp.Auth.Password.Length > 0;

    // The generated ToString would print every member; Config is Akka's section (long, and not ours).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Node = {Node}, Vrrp = {Vrrp}, Redis = {Redis}, Status = {StatusEndpoint}, Cluster = {Cluster}, Log = {Logging}, Warnings = {ConfigWarnings.Count}");
        return true;
    }

    private static readonly Config WitnessPlaceholder =
        ConfigurationFactory.ParseString($"{Root}.vrrp.virtual-ipaddress = [\"192.0.2.100/32\"]").WithFallback(HoconLoader.Reference);

    /// <summary>Loads <paramref name="path"/>, applies defaults and validates.</summary>
    /// <exception cref="ConfigurationException">Unreadable file, bad syntax, unknown key, or a bad value.</exception>
    public static HaSettings Load(string path)
    {
        var files = new List<string>();
        var settings = Create(HoconLoader.LoadFile(path, files));
        if (!settings.InlineSecret) return settings;
        // A password written in the node file is only as private as the file (and its includes).
        var exposed = files.Select(f => (File: f, Mode: SecretFile.ReadableByOthers(f))).Where(f => f.Mode is not null)
            .Select(f => $"{f.File} is readable by others (mode {f.Mode}) and the configuration holds a password: " +
                         $"chmod o-r it (and keep the Redis password in {Root}.redis.password-file)")
            .ToArray();
        return exposed.Length == 0 ? settings : settings with { Warnings = [.. settings.ConfigWarnings, .. exposed] };
    }

    /// <summary>Parses HOCON text (includes resolve against <paramref name="baseDirectory"/>).</summary>
    /// <exception cref="ConfigurationException">As <see cref="Load"/>.</exception>
    public static HaSettings Parse(string hocon, string? baseDirectory = null) =>
        Create(HoconLoader.LoadText(hocon, baseDirectory ?? Directory.GetCurrentDirectory(), "<text>"));

    /// <summary>One-paragraph summary for <c>check-config</c> and the start-up log.</summary>
    public string Summary() => Node.Role == NodeRole.Witness
        ? $"node {Node.Name} (witness); {ClusterSummary()}; {StatusSummary()}"
        : $"node {Node.Name} ({Node.Role.ToString().ToLowerInvariant()}); " +
        $"vrrp v{Vrrp.Version} vrid {Vrrp.VirtualRouterId} on {Vrrp.Interface}, priority {Vrrp.Priority}, " +
        (Vrrp.Peers.Count > 0 ? $"unicast to {string.Join(",", Vrrp.Peers)}, " : "multicast, ") +
        (Vrrp.Auth.Type == VrrpAuthenticationType.Pass ? "auth pass, " : "") +
        $"advert {Vrrp.AdvertInterval.TotalMilliseconds:0} ms, preempt {(Vrrp.Preempt ? "on" : "off")}, " +
        $"vip {string.Join(",", Vrrp.VirtualAddresses)}; " +
        $"redis {Redis.Host}:{Redis.Port}, check every {Redis.Check.Interval.TotalMilliseconds:0} ms " +
        $"(timeout {Redis.Check.Timeout.TotalMilliseconds:0} ms, rise {Redis.Check.Rise}, fall {Redis.Check.Fall}, weight {Redis.Check.Weight}), " +
        $"sync-timeout {Redis.SyncTimeout.TotalMilliseconds:0} ms; {ClusterSummary()}; " +
        StatusSummary();

    private string StatusSummary() => StatusEndpoint.Listen is not { } listen ? "status off"
        : $"status http://{listen} (actions {(StatusEndpoint.Token is null ? "refused: no token-file" : "with the token")})";

    private string ClusterSummary() => Cluster.Enabled
        ? $"cluster {Cluster.SelfAddress}, {Cluster.Voters.Count} voters (majority {Cluster.Majority}" +
          (Cluster.Voters.Count == 2 ? $", two-voter-mode {Cluster.TwoVoters.ToString().ToLowerInvariant()})" : ")")
        : "cluster guard off";
}
