using System.Globalization;

namespace RedisHaActors.Redis;

/// <summary>Why a Redis that answers refuses (or, promoted, would refuse) every write.</summary>
/// <param name="Cause">One line naming the Redis fields that show it, e.g. "MISCONF rdb_last_bgsave_status:err".</param>
/// <param name="DiskError">Persistence failed (<c>MISCONF</c>): such a Redis must not be made a replica, since a
/// Redis 7 replica panics on a replicated write it cannot persist (<c>replica-ignore-disk-write-errors no</c>,
/// the default). False for memory (<c>OOM</c>): a replica ignores <c>maxmemory</c> by default, so following is safe.</param>
public sealed record WriteRefusal(string Cause, bool DiskError)
{
    /// <summary>The health check's failure reason, as logged and shown in status.</summary>
    public string Reason => $"write path refused: {Cause}";

    /// <summary>The refusal without its changing figures ("OOM", or the MISCONF cause): what is logged once.</summary>
    public string Kind => DiskError ? Cause : Cause.Split(' ')[0];
}

/// <summary>
/// Whether a Redis that answers PING can take writes, from Redis' own verdicts and <c>INFO</c>: no write
/// probe (a probe write would replicate, and an acknowledged client-visible change is not acceptable).
/// Pure. The rules follow Redis' <c>processCommand</c>:
/// <list type="bullet">
/// <item>Disk: Redis answers PING itself with <c>MISCONF</c> when it refuses writes for a failed RDB save
/// (with <c>stop-writes-on-bgsave-error yes</c> and save points) or a failed AOF write or fsync: on a master
/// (6.2 and 7.x) and on a replica (7.x). <c>INFO persistence</c> names the cause. An AOF write error
/// (<c>aof_enabled:1</c>, <c>aof_last_write_status:err</c>) refuses writes whatever the configuration; a
/// replica of Redis before 7.0 with <c>rdb_last_bgsave_status:err</c> would refuse them once promoted (with
/// the default <c>stop-writes-on-bgsave-error yes</c>). A failed AOF rewrite
/// (<c>aof_last_bgrewrite_status:err</c>) refuses nothing and is not counted.</item>
/// <item>Memory: under <c>maxmemory-policy noeviction</c>, <c>used_memory</c> minus
/// <c>mem_not_counted_for_evict</c> above <c>maxmemory</c> (&gt; 0) refuses every command that may grow
/// the dataset (<c>OOM</c>). A replica ignores maxmemory but would refuse them once promoted.</item>
/// </list>
/// </summary>
public static class WritePath
{
    /// <summary>The INFO sections <see cref="Decide"/> reads besides replication and server.</summary>
    public static readonly string[] InfoSections = ["persistence", "memory"];

    /// <summary>Decides from one check's answers.</summary>
    /// <param name="info">The text of <c>INFO replication server persistence memory</c> (missing sections or fields count as healthy).</param>
    /// <param name="pingError">PING's error reply (one line), null when it answered PONG.</param>
    /// <returns>Null when writes are taken, else why not.</returns>
    public static WriteRefusal? Decide(string info, string? pingError)
    {
        var f = ReplicationFacts.Fields(info);
        var rdbFailed = f.GetValueOrDefault("rdb_last_bgsave_status") == "err";
        var aofFailed = f.GetValueOrDefault("aof_enabled") == "1" && f.GetValueOrDefault("aof_last_write_status") == "err";
        var named = string.Join(' ', new[] { rdbFailed ? "rdb_last_bgsave_status:err" : "", aofFailed ? "aof_last_write_status:err" : "" }.Where(s => s.Length > 0));
        if (pingError is not null && pingError.StartsWith("MISCONF", StringComparison.Ordinal))
            return new WriteRefusal($"MISCONF {(named.Length > 0 ? named : FirstSentence(pingError))}", true);
        if (aofFailed)
            return new WriteRefusal($"MISCONF {named}", true);
        var replica = f.GetValueOrDefault("role") is "slave" or "replica";
        if (replica && rdbFailed && Major(f.GetValueOrDefault("redis_version")) is > 0 and < 7)
            return new WriteRefusal("MISCONF rdb_last_bgsave_status:err (a replica before Redis 7 does not say so on PING; promoted it refuses writes " +
                                    "with stop-writes-on-bgsave-error yes)", true);
        var max = Long(f, "maxmemory");
        var used = Long(f, "used_memory") - Long(f, "mem_not_counted_for_evict");
        if (max > 0 && f.GetValueOrDefault("maxmemory_policy") == "noeviction" && used > max)
            return new WriteRefusal($"OOM used_memory {used} > maxmemory {max} (maxmemory-policy noeviction{(replica ? "; refused once promoted" : "")})", false);
        return null;
    }

    /// <summary>
    /// Whether a master's refusal fails its check (so it yields the VIP): yes, unless every online replica
    /// answered and refuses writes too, or would once promoted (the same maxmemory, a shared full disk):
    /// handing over would then gain no write and lose the reads through the VIP.
    /// </summary>
    /// <param name="replicas">The online replicas' probes (<see cref="RedisProbe.WriteRefusal"/>), null when not asked (yet);
    /// one that did not answer is not known to refuse.</param>
    public static bool FailsCheck(IReadOnlyList<RedisProbe>? replicas) =>
        replicas is not { Count: > 0 } || replicas.Any(r => !r.Passed || r.WriteRefusal is null);

    private static long Long(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static int Major(string? version) =>
        version is not null && int.TryParse(version.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 0;

    private static string FirstSentence(string error)
    {
        var dot = error.IndexOf(". ", StringComparison.Ordinal);
        return (dot > 0 ? error[..dot] : error).Replace("MISCONF ", "", StringComparison.Ordinal);
    }
}
