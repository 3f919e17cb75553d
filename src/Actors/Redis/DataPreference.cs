namespace RedisHaActors.Redis;

/// <summary>
/// The one home of "an empty Redis never wins over a full one", in its three forms: an empty node
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
    public static string? Defer(ReplicationFacts? own, IReadOnlyList<DataPeer> peers)
    {
        // Empty and not syncing: a master, or a replica without a live link (fenced at start-up). A
        // master with an online replica is not compared with it: the replica's keys came from here
        // (a first write can reach the replica's count before our next check sees it).
        if (own is not { Keys: 0 } || (own.Role == RedisRole.Replica && own.MasterLinkUp)
            || (own.Role == RedisRole.Master && own.OnlineReplicas > 0)) return null;
        var fuller = peers
            .Where(p => p.Reachable && p.Role != RedisRole.Unknown && p.Keys > 0)
            .OrderByDescending(p => p.Keys)
            .FirstOrDefault();
        return fuller is null
            ? null
            : $"own Redis is empty and {fuller.Name}'s Redis has {fuller.Keys} keys";
    }

    /// <summary>True when following <paramref name="master"/> would wipe <paramref name="local"/>: ours has
    /// keys and the master's Redis is an empty master (a full resync would replace ours with nothing).</summary>
    public static bool WouldWipe(ReplicationFacts local, ReplicationFacts? master) =>
        local.Keys > 0 && master is { Role: RedisRole.Master, Keys: 0 };

    /// <summary>True when a restarted Redis came back an empty master after holding keys: were it left
    /// eligible, its replica would full-resync from it and lose its copy.</summary>
    public static bool LostItsData(ReplicationFacts before, ReplicationFacts after) =>
        after is { Role: RedisRole.Master, Keys: 0 } && before.Keys > 0;
}
