using System.Net;

namespace RedisHaActors.Redis;

/// <summary>
/// A guarded master's self-fence through Redis' own <c>min-replicas-to-write</c>: cut off from its
/// replica, its Redis refuses writes (NOREPLICAS) by itself, even with its coordinator frozen or
/// gone. Pure: when the fence is wanted, when to re-assert it, and how long a promotion after a silent
/// master waits for that master's fence to close.
/// </summary>
public static class MasterFence
{
    /// <summary>
    /// <c>min-replicas-max-lag</c> set on a guarded master, whole seconds. Not 1: a replica acknowledges
    /// once a second and Redis compares whole-second clocks, so a healthy link reads lag 2 now and then,
    /// and at 1 a healthy master refused writes (NOREPLICAS) for a second.
    /// </summary>
    public const int MinReplicasMaxLagSeconds = 2;

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
    /// <c>min-replicas-to-write</c> wanted on a guarded master, and why.
    /// <list type="bullet">
    /// <item>The HA peer's replica is online: every online replica counts, so an extra replica (a
    /// disaster-recovery copy, a backup job's <c>redis-cli --replica</c>) on the master's side of a cut
    /// cannot stand in for the peer and keep a cut-off master writable.</item>
    /// <item>It is not, and a data peer is a member the cluster cannot reach: one more than the online
    /// replicas, so the master refuses writes. It merely cannot see its replica; the other side may
    /// promote, and only the majority removing that node ends the doubt. Except the master this node
    /// took over from: it keeps its own fence raised by this same rule (its replica, this node, is
    /// unreachable to it), so a new master does not wait for the old one's removal to take writes.</item>
    /// <item>Otherwise (the peer is reachable and its Redis is not replicating, or no data peer is a
    /// member any more): 0, writes do not wait for a replica nobody will promote.</item>
    /// </list>
    /// </summary>
    /// <param name="facts">The local Redis, a master.</param>
    /// <param name="peers">The data peers that are cluster members, as gossiped.</param>
    /// <param name="tookOverFrom">The advert source of the master this node took over from, null when none.</param>
    public static MinReplicasWanted Wanted(ReplicationFacts facts, IReadOnlyList<DataPeer> peers, string? tookOverFrom = null)
    {
        var online = (facts.Replicas ?? []).Where(r => r.Online).ToArray();
        if (peers.FirstOrDefault(p => online.Any(r => IsReplicaOf(r, p))) is { } linked)
            return new MinReplicasWanted(online.Length, online.Length == 1
                ? $"replica {linked.Name} online"
                : $"replica {linked.Name} and {online.Length - 1} other replica(s) online; every one counts, so another replica cannot stand in for {linked.Name}");
        if (peers.FirstOrDefault(p => !p.Reachable && (tookOverFrom is null || p.VrrpAddress != tookOverFrom)) is { } cut)
            return new MinReplicasWanted(online.Length + 1,
                $"{cut.Name}'s replica is not online and {cut.Name} is unreachable but still a cluster member: writes refused until the cluster removes it or its replica returns");
        return new MinReplicasWanted(0, peers.Count == 0
            ? "no data peer is a cluster member: writes do not wait for a replica"
            : "no data peer's replica is online and every data peer is reachable: writes do not wait for one");
    }

    /// <summary>
    /// Whether <paramref name="link"/> is <paramref name="peer"/>'s Redis: same port, and the same address
    /// when the peer's host is an address (a host name cannot be compared without a lookup: port alone).
    /// </summary>
    public static bool IsReplicaOf(ReplicaLink link, DataPeer peer)
    {
        if (link.Port != peer.Port) return false;
        if (!IPAddress.TryParse(peer.Host, out var host)) return true;
        return IPAddress.TryParse(link.Ip, out var ip) && Normal(ip).Equals(Normal(host));
    }

    private static IPAddress Normal(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

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

/// <summary>A <c>min-replicas-to-write</c> count wanted on a guarded master (0..replicas + 1) and the reason, for the log.</summary>
/// <param name="Count">The count to set.</param>
/// <param name="Reason">Why, in a few words.</param>
public sealed record MinReplicasWanted(int Count, string Reason);
