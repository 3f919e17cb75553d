namespace RedisHaActors.Redis;

/// <summary>
/// A guarded master's self-fence through Redis' own <c>min-replicas-to-write</c>: cut off from its
/// replica, its Redis refuses writes (NOREPLICAS) by itself, even with its coordinator frozen or
/// gone. Pure: when the fence is wanted, when to re-assert it, and how long a promotion after a silent
/// master waits for that master's fence to close.
/// </summary>
public static class MasterFence
{
    /// <summary><c>min-replicas-max-lag</c> set on a guarded master, whole seconds (Redis' smallest useful value).</summary>
    public const int MinReplicasMaxLagSeconds = 1;

    /// <summary>
    /// Worst case from a master's last replica acknowledgement to its Redis refusing writes with
    /// <c>min-replicas-to-write 1</c>: the lag counts in whole seconds (up to max-lag + 1 s), Redis
    /// re-counts good replicas once a second (+1 s), and its cached clock and cron run at hz 10
    /// (+0.5 s margin: a lab run without it saw 20 ms of two writable masters).
    /// </summary>
    public static readonly TimeSpan SelfFenceTime = TimeSpan.FromSeconds(MinReplicasMaxLagSeconds + 2.5);

    /// <summary>How often a guarded master re-asserts its setting (a restarted Redis forgets it).</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>min-replicas-to-write</c> wanted on a guarded master: 1 while a replica is online and a data
    /// peer is reachable in the cluster; 0 otherwise (the majority knows the replica is gone, and
    /// writes must not wait for it).
    /// </summary>
    /// <param name="facts">The local Redis, a master.</param>
    /// <param name="peers">The data peers as gossiped.</param>
    public static int Wanted(ReplicationFacts facts, IReadOnlyList<DataPeer> peers) =>
        facts.OnlineReplicas > 0 && peers.Any(p => p.Reachable) ? 1 : 0;

    /// <summary>Whether to (re)send the setting now.</summary>
    /// <param name="applied">The count last applied and when (monotonic), null when unknown.</param>
    /// <param name="wanted">The count wanted now.</param>
    /// <param name="now">Monotonic now.</param>
    public static bool Due((int Count, TimeSpan At)? applied, int wanted, TimeSpan now) =>
        applied is not { } a || a.Count != wanted || now - a.At >= Refresh;

    /// <summary>
    /// How long a promotion must still wait, after the old master fell silent without leaving, before
    /// that master's Redis has surely fenced itself: it may be cut off but alive, writable for its
    /// local clients until then. Null when there is nothing to wait for (not guarded, or the old master
    /// left with a priority-0 advert, or was preempted).
    /// </summary>
    /// <param name="fenceMargin">Guarded nodes: the advert interval; null without the guard.</param>
    /// <param name="silentFor">Time from the old master's last advert to the takeover.</param>
    public static TimeSpan? WaitBeforePromotion(TimeSpan? fenceMargin, TimeSpan? silentFor) =>
        fenceMargin is { } margin && silentFor is { } silent ? SelfFenceTime + margin - silent : null;
}
