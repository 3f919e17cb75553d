namespace RedisHaActors.Redis;

/// <summary>
/// The one home of "a Redis with less of the history never wins over one with more": a node whose
/// history a reachable peer's Redis forked from at a promotion defers to it (<see cref="Defer"/>), and
/// "an empty Redis never wins over a full one", in its three forms: an empty node
/// defers its eligibility to a fuller peer (<see cref="Defer"/>), a full Redis never follows an empty
/// master (<see cref="WouldWipe"/>, used by <see cref="RolePlanner"/>), and a Redis that came back
/// empty after holding keys is held back (<see cref="LostItsData"/>, used by <see cref="RestartWatch"/>).
/// Pure. A node whose Redis has no keys
/// and is not syncing from a master (a cold boot, or a Redis restarted without persistence faster
/// than the check's fall window) is not eligible while a reachable data peer's Redis holds keys: that peer takes
/// the VIP and this Redis becomes its replica, instead of the peer resyncing from an empty master
/// and losing its copy. Needs the cluster's gossip; without the guard it never defers.
/// </summary>
public static class DataPreference
{
    /// <summary>Why this node must not be master now, or null.</summary>
    /// <param name="own">The local Redis' facts; null when it does not answer.</param>
    /// <param name="peers">The other data nodes as gossiped.</param>
    /// <param name="remembered">Data nodes' states from an incarnation that is no longer a cluster member (downed and
    /// restarting, or gone; <see cref="Cluster.GossipCurrency.Remembered"/>): only their Redis' history counts, and only
    /// while this node is not VRRP master (a backup must not win an election over a Redis that forked newer writes from
    /// ours, reachable or not; a master is never made to yield by a peer it cannot see). Null as none.</param>
    /// <param name="master">This node is VRRP MASTER now.</param>
    /// <param name="forced">An operator's forced promotion is in effect (<see cref="Hosting.ForcedPromotion"/>): the rules it may
    /// override (<see cref="Forcible"/>) are skipped, the others still hold.</param>
    public static string? Defer(ReplicationFacts? own, IReadOnlyList<DataPeer> peers, IReadOnlyList<DataPeer>? remembered = null, bool master = false,
        bool forced = false) =>
        Reasons(own, peers, remembered, master).FirstOrDefault(r => !(forced && r.Forcible)).Reason;

    /// <summary>
    /// The reasons <see cref="Defer"/> holds this node back for that an operator may override (<c>redis-ha promote
    /// --accept-loss</c>, <see cref="Hosting.ForcedPromotion"/>): what a dead master leaves behind, a first sync that never
    /// finished (or one in progress) and a newer history that is out of reach. Never <c>replica-priority 0</c> (the
    /// operator's own standing "never", changed with <c>CONFIG SET</c>), a reachable peer with the newer history, nor a
    /// reachable peer with the data while ours is empty (promote that one instead). Empty when none holds.
    /// </summary>
    /// <param name="own">As for <see cref="Defer"/>.</param>
    /// <param name="peers">As for <see cref="Defer"/>.</param>
    /// <param name="remembered">As for <see cref="Defer"/>.</param>
    public static IReadOnlyList<string> Forcible(ReplicationFacts? own, IReadOnlyList<DataPeer> peers, IReadOnlyList<DataPeer>? remembered = null) =>
        Reasons(own, peers, remembered, master: false).Where(r => r.Forcible).Select(r => r.Reason!).ToArray();

    /// <summary>Every rule that holds, in the order <see cref="Defer"/> reports them, and whether an operator may force past it.</summary>
    private static IEnumerable<(string? Reason, bool Forcible)> Reasons(ReplicationFacts? own, IReadOnlyList<DataPeer> peers,
        IReadOnlyList<DataPeer>? remembered, bool master)
    {
        // Guard or not: a replica in a full sync holds its old copy (or nothing) until the sync ends,
        // and the operator's replica-priority 0 means never promote (as Sentinel reads it, also for a manual failover).
        if (own is { Role: RedisRole.Replica, ReplicaPriority: 0 })
            yield return ("replica-priority 0 in its redis.conf: never promoted, not even by redis-ha promote " +
                          "(CONFIG SET replica-priority 100 on it first if this host may be master)", false);
        if (own is { Role: RedisRole.Replica, SyncInProgress: true } && own.MasterHost != LocalFence.Host)
            yield return ($"its Redis is in a full sync from {own.MasterHost}:{own.MasterPort} (master_sync_in_progress:1), so its data is not the master's yet", true);
        // The master died while this replica was in its first sync (its link down, never up since Redis started): what it
        // holds is a half-loaded copy or its own stale data, never promoted automatically. Our own fence (a replica of
        // nowhere) is not a sync: a fenced master's data is its own.
        if (own is { Role: RedisRole.Replica, NeverSynced: true } && own.MasterHost != LocalFence.Host)
            yield return ($"its Redis has not completed a sync with {own.MasterHost}:{own.MasterPort} since it started (master_link_down_since_seconds:-1), " +
                          "so its data is not a master's: waiting, never promoted automatically (once that master is gone, " +
                          "redis-ha promote --accept-loss on this node forces it)", true);
        // Two masters meeting again (a cut healed, a node downed and restarted): the peer promoted from
        // our history (its master_replid2 is our master_replid) holds what the majority chose since; ours
        // past the fork is what it could not copy. Priority alone would throw the newer history away.
        // Whatever its role now: restarted, it may be fenced read-only (a replica of nowhere keeps its ids),
        // and a replica of ours has our replid, never it as replid2. Not while this node is VRRP MASTER and its own facts
        // still show a replica of a real master: it is promoting, its facts predate the promotion, and a peer already
        // re-pointed to it carries the new replid with our pre-promotion one as replid2 (seen 90 ms after a switchover).
        if (own is { ReplicationId.Length: > 0 } && !(master && own.Role == RedisRole.Replica && own.MasterHost != LocalFence.Host)
            && peers.FirstOrDefault(p => p.Reachable && p.Role != RedisRole.Unknown && p.ReplicationId2 == own.ReplicationId) is { } newer)
            yield return ($"{newer.Name}'s Redis was promoted from this one's history (its master_replid2 is our master_replid {Short(own.ReplicationId)}): it holds the newer writes", false);
        // A backup does not stand for election over such a peer that is unreachable now (still cut off, the cluster
        // may down and restart both sides again) or whose node is not back in the cluster yet (downed after a heal,
        // or gone): its last state still says what its Redis holds, and winning would make that Redis our replica
        // and throw its newer writes away. A master is never made to yield by a peer it cannot see (the guard decides).
        if (!master && own is { ReplicationId.Length: > 0 }
            && peers.Where(p => !p.Reachable).Concat(remembered ?? [])
                .FirstOrDefault(p => p.Role != RedisRole.Unknown && p.ReplicationId2 == own.ReplicationId) is { } absent)
            yield return ($"{absent.Name}'s Redis was promoted from this one's history (its last gossiped master_replid2 is our master_replid {Short(own.ReplicationId)}) " +
                          "and it is not reachable now: waiting for it, not taking over its newer writes (redis-ha promote --accept-loss on this node " +
                          "forces it, losing them)", true);
        // Empty and not syncing: a master, or a replica without a live link (fenced at start-up). A
        // master with an online replica is not compared with it: the replica's keys came from here
        // (a first write can reach the replica's count before our next check sees it).
        if (own is not { Keys: 0 } || (own.Role == RedisRole.Replica && own.MasterLinkUp)
            || (own.Role == RedisRole.Master && own.OnlineReplicas > 0)) yield break;
        var fuller = peers
            .Where(p => p.Reachable && p.Role != RedisRole.Unknown && p.Keys > 0)
            .OrderByDescending(p => p.Keys)
            .FirstOrDefault();
        if (fuller is not null) yield return ($"own Redis is empty and {fuller.Name}'s Redis has {fuller.Keys} keys", false);
    }

    private static string Short(string replicationId) => replicationId[..Math.Min(8, replicationId.Length)];

    /// <summary>True when following <paramref name="master"/> would wipe <paramref name="local"/>: ours has
    /// keys and the master's Redis is an empty master (a full resync would replace ours with nothing).</summary>
    public static bool WouldWipe(ReplicationFacts local, ReplicationFacts? master) =>
        local.Keys > 0 && master is { Role: RedisRole.Master, Keys: 0 };

    /// <summary>
    /// Why following <paramref name="master"/> would throw away writes only <paramref name="local"/> holds, else null: its
    /// Redis is the history ours was promoted from (its <c>master_replid</c> is our <c>master_replid2</c>: it is our past),
    /// or both were promoted from the same history and ours took writes past that fork (a diverged history: a full
    /// resync would replace them). Two masters meeting after a heal are resolved by data, never by VRRP priority.
    /// </summary>
    public static string? Discards(ReplicationFacts local, ReplicationFacts? master)
    {
        if (local.ReplicationId2.Length == 0 || master is not { Role: RedisRole.Master } m) return null;
        if (m.ReplicationId == local.ReplicationId2)
            return $"ours was promoted from its history (our master_replid2 is its master_replid {Short(m.ReplicationId)})";
        if (m.ReplicationId2 == local.ReplicationId2 && m.ReplicationId != local.ReplicationId
            && local.SecondReplOffset > 0 && local.MasterReplOffset >= local.SecondReplOffset)
            return $"both were promoted from history {Short(local.ReplicationId2)} and ours has {local.MasterReplOffset - local.SecondReplOffset + 1} bytes " +
                   "of writes past that fork (a diverged history)";
        return null;
    }

    /// <summary>True when a restarted Redis came back empty after holding keys, as a master or as a
    /// replica without a link (started read-only with <c>replicaof 127.0.0.1 1</c>): were it left
    /// eligible and promoted, its replica would full-resync from it and lose its copy.</summary>
    public static bool LostItsData(ReplicationFacts before, ReplicationFacts after) =>
        after.Keys == 0 && before.Keys > 0 && (after.Role == RedisRole.Master || after is { Role: RedisRole.Replica, MasterLinkUp: false });
}
