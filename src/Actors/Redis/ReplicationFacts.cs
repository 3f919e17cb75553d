using System.Globalization;

namespace RedisHaActors.Redis;

/// <summary>Redis replication role as reported by <c>INFO replication</c> (<c>role:</c>).</summary>
public enum RedisRole
{
    /// <summary>Not known (no answer yet).</summary>
    Unknown,
    /// <summary><c>role:master</c>: accepts writes.</summary>
    Master,
    /// <summary><c>role:slave</c>: a replica.</summary>
    Replica,
}

/// <summary>
/// The facts of <c>INFO replication</c> (and <c>run_id</c> of <c>INFO server</c>) that decisions need.
/// Offsets are bytes of the replication stream.
/// </summary>
/// <param name="Role">master or replica.</param>
/// <param name="MasterHost">Replica only: <c>master_host</c>.</param>
/// <param name="MasterPort">Replica only: <c>master_port</c>.</param>
/// <param name="MasterLinkUp">Replica only: <c>master_link_status:up</c>.</param>
/// <param name="MasterReplOffset"><c>master_repl_offset</c>: on a master the bytes it has produced, on a replica what it has processed.</param>
/// <param name="ReplicaReplOffset">Replica only: <c>slave_repl_offset</c>.</param>
/// <param name="ReplicationId"><c>master_replid</c>.</param>
/// <param name="ConnectedReplicas"><c>connected_slaves</c>.</param>
/// <param name="FailoverState"><c>master_failover_state</c> (Redis 6.2+), "no-failover" when idle.</param>
/// <param name="Keys">Keys in all databases (<c>INFO keyspace</c>, <c>dbN:keys=K</c>); -1 when the section was not asked for.</param>
/// <param name="RunId"><c>run_id</c> of <c>INFO server</c>, new on every start of Redis; "" when the section was not asked for.</param>
/// <param name="ReplicationId2"><c>master_replid2</c>: the history this one forked from at a promotion ("" or all zeros when none).</param>
/// <param name="SyncInProgress">Replica only: <c>master_sync_in_progress:1</c>, a full sync under way (its data is not yet the master's).</param>
/// <param name="ReplicaPriority">Replica only: <c>slave_priority</c> (redis.conf <c>replica-priority</c>); 0 means never promote; -1 unknown.</param>
/// <param name="Replicas">Master only: every <c>slaveN:</c> line; null when not parsed from INFO (treated as empty).</param>
/// <param name="SecondReplOffset"><c>second_repl_offset</c>: the first offset of this history after a promotion (writes past it are
/// this Redis' own since it forked from <paramref name="ReplicationId2"/>); -1 none or unknown.</param>
/// <param name="NeverSynced">Replica only: its link is down and <c>master_link_down_since_seconds:-1</c>: it has not completed
/// a sync with a master since it started (or since it was last pointed at one), so its data is not a master's.</param>
public sealed record ReplicationFacts(
    RedisRole Role,
    string? MasterHost,
    int? MasterPort,
    bool MasterLinkUp,
    long MasterReplOffset,
    long ReplicaReplOffset,
    string ReplicationId,
    int ConnectedReplicas,
    string FailoverState,
    long Keys = -1,
    string RunId = "",
    IReadOnlyList<ReplicaLink>? Replicas = null,
    string ReplicationId2 = "",
    bool SyncInProgress = false,
    int ReplicaPriority = -1,
    long SecondReplOffset = -1,
    bool NeverSynced = false)
{
    /// <summary>Master only: replicas with <c>state=online</c> (synced; counted by <c>min-replicas-to-write</c> while their lag is small).</summary>
    public int OnlineReplicas => Replicas?.Count(r => r.Online) ?? 0;

    /// <summary>Master only: the online replicas as "ip:port", comma-separated in INFO order; "" when none.</summary>
    public string OnlineReplicaEndpoints => string.Join(',', (Replicas ?? []).Where(r => r.Online).Select(r => $"{r.Ip}:{r.Port}"));

    /// <summary>The offset this node has: for a replica what it processed, for a master what it produced.</summary>
    public long Offset => Role == RedisRole.Replica ? Math.Max(ReplicaReplOffset, MasterReplOffset) : MasterReplOffset;

    /// <summary>Parses the text of <c>INFO replication</c>. Unknown or missing fields get neutral values.</summary>
    /// <exception cref="FormatException">The text has no <c>role:</c> line.</exception>
    public static ReplicationFacts Parse(string info)
    {
        var fields = Fields(info);
        if (!fields.TryGetValue("role", out var role))
            throw new FormatException("INFO replication has no role field");
        long Long(string k) => fields.TryGetValue(k, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new ReplicationFacts(
            role switch { "master" => RedisRole.Master, "slave" or "replica" => RedisRole.Replica, _ => RedisRole.Unknown },
            fields.GetValueOrDefault("master_host"),
            fields.TryGetValue("master_port", out var p) && int.TryParse(p, out var port) ? port : null,
            fields.GetValueOrDefault("master_link_status") == "up",
            Long("master_repl_offset"),
            Long("slave_repl_offset"),
            fields.GetValueOrDefault("master_replid") ?? "",
            (int)Long("connected_slaves"),
            fields.GetValueOrDefault("master_failover_state") ?? "no-failover",
            info.Contains("# Keyspace", StringComparison.Ordinal) ? fields.Where(f => IsDatabase(f.Key)).Sum(f => KeysOf(f.Value)) : -1,
            fields.GetValueOrDefault("run_id") ?? "",
            fields.Where(f => IsReplicaLine(f.Key)).Select(f => ReplicaLink.Parse(f.Value)).OfType<ReplicaLink>().ToArray(),
            fields.GetValueOrDefault("master_replid2") is { } id2 && id2.Any(c => c != '0') ? id2 : "",
            fields.GetValueOrDefault("master_sync_in_progress") == "1",
            fields.TryGetValue("slave_priority", out var sp) && int.TryParse(sp, NumberStyles.Integer, CultureInfo.InvariantCulture, out var prio) ? prio : -1,
            fields.TryGetValue("second_repl_offset", out var so) && long.TryParse(so, NumberStyles.Integer, CultureInfo.InvariantCulture, out var second) ? second : -1,
            fields.GetValueOrDefault("master_link_status") is "down" && fields.GetValueOrDefault("master_link_down_since_seconds") == "-1");
    }

    /// <summary>The <c>name:value</c> lines of an <c>INFO</c> answer (section headers skipped); the last of a repeated name wins.</summary>
    internal static Dictionary<string, string> Fields(string info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            var colon = trimmed.IndexOf(':');
            if (colon <= 0 || trimmed.StartsWith('#')) continue;
            fields[trimmed[..colon]] = trimmed[(colon + 1)..];
        }
        return fields;
    }

    private static bool IsReplicaLine(string key) => key.Length > 5 && key.StartsWith("slave", StringComparison.Ordinal) && key[5..].All(char.IsAsciiDigit);

    private static bool IsDatabase(string key) => key.Length > 2 && key.StartsWith("db", StringComparison.Ordinal) && key[2..].All(char.IsAsciiDigit);

    /// <summary>"keys=12,expires=0,avg_ttl=0" -> 12.</summary>
    private static long KeysOf(string value)
    {
        foreach (var part in value.Split(','))
            if (part.StartsWith("keys=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return n;
        return 0;
    }
}
