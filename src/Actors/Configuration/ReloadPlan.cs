using System.Globalization;

namespace RedisHaActors.Configuration;

/// <summary>
/// What a reload (SIGHUP, <c>redis-ha reload</c>) does with a re-read node file: the one home of
/// which keys are safe to change while the node runs. A runtime key takes effect at once without a
/// VRRP state change (a new priority is just advertised); every other changed key keeps its running
/// value and is reported as pending a restart. Pure: compares two validated settings records.
/// </summary>
/// <param name="Effective">The settings to run with now: the running ones with every changed runtime key taken
/// from the file.</param>
/// <param name="Applied">Runtime keys whose value changed, as <c>path: old -> new</c> (secrets as <c>***</c>).</param>
/// <param name="Pending">Changed keys that need a restart (full HOCON paths), in table order.</param>
public sealed record ReloadPlan(HaSettings Effective, IReadOnlyList<string> Applied, IReadOnlyList<string> Pending)
{
    /// <summary>One key: its path, how it prints, and (for a runtime key) how it is taken from the file.</summary>
    private sealed record Key(string Path, Func<HaSettings, string> Value, Func<HaSettings, HaSettings, HaSettings>? Apply = null, bool Secret = false);

    private const string R = HaSettings.Root;

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";

    private static string List<T>(IEnumerable<T> items) => "[" + string.Join(", ", items) + "]";

    /// <summary>Every key a node file sets, in README order. A key without Apply needs a restart.</summary>
    private static readonly Key[] Keys =
    [
        new($"{R}.node.name", s => s.Node.Name),
        new($"{R}.node.role", s => s.Node.Role.ToString().ToLowerInvariant()),
        new($"{R}.vrrp.interface", s => s.Vrrp.Interface),
        new($"{R}.vrrp.virtual-router-id", s => s.Vrrp.VirtualRouterId.ToString(CultureInfo.InvariantCulture)),
        new($"{R}.vrrp.priority", s => s.Vrrp.Priority.ToString(CultureInfo.InvariantCulture),
            (run, file) => run with { Vrrp = run.Vrrp with { Priority = file.Vrrp.Priority } }),
        new($"{R}.vrrp.advert-interval", s => Ms(s.Vrrp.AdvertInterval)),
        new($"{R}.vrrp.version", s => s.Vrrp.Version.ToString(CultureInfo.InvariantCulture)),
        new($"{R}.vrrp.authentication", s => $"{s.Vrrp.Auth.Type}/{s.Vrrp.Auth.Password}", Secret: true),
        new($"{R}.vrrp.unicast-peers", s => List(s.Vrrp.Peers)),
        new($"{R}.vrrp.preempt", s => s.Vrrp.Preempt ? "on" : "off",
            (run, file) => run with { Vrrp = run.Vrrp with { Preempt = file.Vrrp.Preempt } }),
        new($"{R}.vrrp.preempt-delay", s => Ms(s.Vrrp.PreemptDelay),
            (run, file) => run with { Vrrp = run.Vrrp with { PreemptDelay = file.Vrrp.PreemptDelay } }),
        new($"{R}.vrrp.failover-damping", s => Ms(s.Vrrp.FailoverDamping),
            (run, file) => run with { Vrrp = run.Vrrp with { FailoverDamping = file.Vrrp.FailoverDamping } }),
        new($"{R}.vrrp.skip-check-adv-addr", s => s.Vrrp.SkipCheckAdvertAddresses ? "on" : "off",
            (run, file) => run with { Vrrp = run.Vrrp with { SkipCheckAdvertAddresses = file.Vrrp.SkipCheckAdvertAddresses } }),
        new($"{R}.vrrp.virtual-ipaddress", s => List(s.Vrrp.VirtualAddresses)),
        new($"{R}.vrrp.vip-lease", s => Ms(s.Vrrp.VipLease)),
        new($"{R}.vrrp.garp-master-repeat", s => s.Vrrp.GarpMasterRepeat.ToString(CultureInfo.InvariantCulture),
            (run, file) => run with { Vrrp = run.Vrrp with { GarpMasterRepeat = file.Vrrp.GarpMasterRepeat } }),
        new($"{R}.vrrp.garp-master-delay", s => Ms(s.Vrrp.GarpMasterDelay),
            (run, file) => run with { Vrrp = run.Vrrp with { GarpMasterDelay = file.Vrrp.GarpMasterDelay } }),
        new($"{R}.vrrp.garp-master-refresh", s => Ms(s.Vrrp.GarpMasterRefresh),
            (run, file) => run with { Vrrp = run.Vrrp with { GarpMasterRefresh = file.Vrrp.GarpMasterRefresh } }),
        new($"{R}.redis.host", s => s.Redis.Host),
        new($"{R}.redis.port", s => s.Redis.Port.ToString(CultureInfo.InvariantCulture)),
        new($"{R}.redis.password", s => s.Redis.Password, Secret: true),
        new($"{R}.redis.password-file", s => s.Redis.PasswordFile),
        new($"{R}.redis.user", s => s.Redis.User),
        new($"{R}.redis.announce-host", s => s.Redis.AnnounceHost),
        new($"{R}.redis.check.interval", s => Ms(s.Redis.Check.Interval),
            (run, file) => run with { Redis = run.Redis with { Check = run.Redis.Check with { Interval = file.Redis.Check.Interval } } }),
        new($"{R}.redis.check.timeout", s => Ms(s.Redis.Check.Timeout),
            (run, file) => run with { Redis = run.Redis with { Check = run.Redis.Check with { Timeout = file.Redis.Check.Timeout } } }),
        new($"{R}.redis.check.rise", s => s.Redis.Check.Rise.ToString(CultureInfo.InvariantCulture),
            (run, file) => run with { Redis = run.Redis with { Check = run.Redis.Check with { Rise = file.Redis.Check.Rise } } }),
        new($"{R}.redis.check.fall", s => s.Redis.Check.Fall.ToString(CultureInfo.InvariantCulture),
            (run, file) => run with { Redis = run.Redis with { Check = run.Redis.Check with { Fall = file.Redis.Check.Fall } } }),
        new($"{R}.redis.check.weight", s => s.Redis.Check.Weight.ToString(CultureInfo.InvariantCulture),
            (run, file) => run with { Redis = run.Redis with { Check = run.Redis.Check with { Weight = file.Redis.Check.Weight } } }),
        new($"{R}.redis.sync-timeout", s => Ms(s.Redis.SyncTimeout),
            (run, file) => run with { Redis = run.Redis with { SyncTimeout = file.Redis.SyncTimeout } }),
        new($"{R}.redis.tls", s => s.Redis.TlsInEffect.ToString()),
        new($"{R}.cluster.two-voter-mode", s => s.Cluster.TwoVoters.ToString().ToLowerInvariant()),
        new("akka.cluster.seed-nodes", s => List(s.Cluster.Voters)),
        new("akka.remote.dot-netty.tcp.hostname", s => s.Cluster.Hostname),
        new("akka.remote.dot-netty.tcp.port", s => s.Cluster.Port.ToString(CultureInfo.InvariantCulture)),
        new("akka (other keys)", s => s.Config.Root.ToString()),
        // The endpoint is re-bound (a listen that cannot be bound is logged; the node runs on without it).
        new($"{R}.status.listen", s => s.StatusEndpoint.Listen?.ToString() ?? "\"\"",
            (run, file) => run with { Status = run.StatusEndpoint with { Listen = file.StatusEndpoint.Listen } }),
        new($"{R}.status.token-file", s => $"{s.StatusEndpoint.TokenFile}/{s.StatusEndpoint.Token?.Reveal()}",
            (run, file) => run with { Status = run.StatusEndpoint with { TokenFile = file.StatusEndpoint.TokenFile, Token = file.StatusEndpoint.Token } },
            Secret: true),
        new($"{R}.log.format", s => s.Logging.Format.ToString().ToLowerInvariant()),
        new($"{R}.log.level", s => s.Logging.Level.ToString().ToLowerInvariant(),
            (run, file) => run with { Log = run.Logging with { Level = file.Logging.Level } }),
    ];

    /// <summary>Whether <paramref name="path"/> (a full HOCON path of the key table) takes effect at a reload.</summary>
    public static bool IsRuntime(string path) => Keys.Any(k => k.Path == path && k.Apply is not null);

    /// <summary>Plans the move from <paramref name="running"/> to a freshly loaded <paramref name="file"/>.</summary>
    /// <param name="running">The settings in effect (after earlier reloads).</param>
    /// <param name="file">The node file as just loaded and validated.</param>
    public static ReloadPlan Between(HaSettings running, HaSettings file)
    {
        var effective = running with { Warnings = file.ConfigWarnings };
        var applied = new List<string>();
        var pending = new List<string>();
        foreach (var key in Keys)
        {
            var (was, now) = (key.Value(running), key.Value(file));
            if (was == now) continue;
            if (key.Apply is null)
            {
                pending.Add(key.Path);
                continue;
            }
            effective = key.Apply(effective, file);
            applied.Add(key.Secret ? $"{key.Path} (changed)" : $"{key.Path}: {was} -> {now}");
        }
        return new ReloadPlan(effective, applied, pending);
    }

    /// <summary>One line for the log and the operator. <see cref="Pending"/> compares the file with what the node started
    /// with (restart-only keys never change while it runs), so it also lists keys changed at earlier reloads.</summary>
    public string Describe() =>
        (Applied.Count == 0 ? "reloaded: no runtime key changed" : $"reloaded: applied {string.Join("; ", Applied)}")
        + (Pending.Count == 0 ? "" : $"; pending restart: {string.Join(", ", Pending)}");
}
