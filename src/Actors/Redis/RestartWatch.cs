namespace RedisHaActors.Redis;

/// <summary>
/// Notices, on every check, that the local Redis restarted, and holds back one that came back
/// empty. Without persistence a Redis restarted faster than the check's fall window is a master
/// again with no keys; were it left eligible, its replica would full-resync from it (Redis retries
/// the replication link about once a second) and lose its copy. Pure and immutable; the monitor
/// owns the clock.
/// </summary>
/// <param name="Last">Facts of the last check that answered; kept through failed checks, so a
/// restart that spans several failed checks is still noticed.</param>
/// <param name="HeldReason">Why the local Redis is held back from MASTER, null when it is not.</param>
/// <param name="HeldUntil">Monotonic time (since the monitor started) at which a hold ends by itself.</param>
public sealed record RestartWatch(ReplicationFacts? Last, string? HeldReason, TimeSpan HeldUntil)
{
    /// <summary>
    /// Longest hold of an empty restarted Redis. A yielding master (priority 0) is replaced after
    /// the backup's Skew_Time, well inside this; past it no one took over, and the empty Redis is
    /// all there is.
    /// </summary>
    public static readonly TimeSpan EmptyRestartHold = TimeSpan.FromSeconds(10);

    /// <summary>Before the first answer.</summary>
    public static RestartWatch Initial { get; } = new(null, null, TimeSpan.Zero);

    /// <summary>The local Redis is held back from MASTER.</summary>
    public bool Held => HeldReason is not null;

    /// <summary>Applies one check's facts.</summary>
    /// <param name="facts">What <c>INFO</c> answered; null when the check got no answer.</param>
    /// <param name="now">Monotonic time since the monitor started.</param>
    /// <returns>The next watch; <c>Restarted</c> describes a restart noticed by this check
    /// (old and new <c>run_id</c>, offsets, key counts), <c>Released</c> why a hold ended.</returns>
    public (RestartWatch Next, string? Restarted, string? Released) Observe(ReplicationFacts? facts, TimeSpan now)
    {
        string? restarted = null;
        var next = facts is null ? this : this with { Last = facts };
        if (facts is not null && Last is { } last && IsRestart(last, facts))
        {
            restarted = $"run_id {Short(last.RunId)} -> {Short(facts.RunId)}, master_repl_offset {last.MasterReplOffset} -> {facts.MasterReplOffset}, " +
                        $"keys {Count(last.Keys)} -> {Count(facts.Keys)}";
            // A Redis that starts as a master takes writes through the VIP until the first check sets
            // its role; those are thrown away if it is then fenced or re-pointed.
            if (facts.Role == RedisRole.Master)
                restarted += $"; it came back a master, writable before its role was set: start Redis with `{LocalFence.RedisConfLine}` in redis.conf so it is read-only until the coordinator decides";
            // An empty master that had data is a wipe waiting for its replica; a replica re-syncs
            // from its master anyway.
            if (DataPreference.LostItsData(last, facts))
                return (next with
                {
                    HeldReason = $"restarted empty (it had {last.Keys} keys): not eligible for MASTER until it syncs from a master " +
                                 $"(at most {EmptyRestartHold.TotalSeconds:0} s)",
                    HeldUntil = now + EmptyRestartHold,
                }, restarted, null);
        }
        if (!Held) return (next, restarted, null);
        if (facts is { Role: RedisRole.Replica, MasterLinkUp: true })
            return (next with { HeldReason = null }, restarted, "it synced from its master");
        if (now >= HeldUntil)
            return (next with { HeldReason = null }, restarted, $"no other Redis took over within {EmptyRestartHold.TotalSeconds:0} s");
        return (next, restarted, null);
    }

    // run_id is new on every start (INFO server, asked of 6.2 and 7.x alike). Without it: a
    // master with a new replication id and the offset gone back is a restart too (a promotion
    // keeps the offset; a replica's full resync from a master that was behind does not count).
    private static bool IsRestart(ReplicationFacts last, ReplicationFacts now) =>
        last.RunId.Length > 0 && now.RunId.Length > 0
            ? last.RunId != now.RunId
            : now.Role == RedisRole.Master && now.ReplicationId != last.ReplicationId && now.MasterReplOffset < last.MasterReplOffset;

    private static string Short(string runId) => runId.Length > 8 ? runId[..8] : runId.Length == 0 ? "?" : runId;

    private static string Count(long keys) => keys < 0 ? "?" : keys.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
