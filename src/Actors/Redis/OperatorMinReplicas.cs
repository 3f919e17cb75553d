namespace RedisHaActors.Redis;

/// <summary>
/// The operator's own <c>min-replicas-to-write</c> / <c>min-replicas-max-lag</c> (redis.conf) on a node
/// without the cluster guard, which leaves that setting to the operator. Kept, except across a
/// promotion: the new master's only replica was the old master, so with the setting in place every write
/// would fail (NOREPLICAS) until the dead peer is rebuilt and the failover would buy nothing. The
/// promotion sets it to 0 and the node restores it as soon as as many replicas as it asks for are
/// online (or the node is demoted): from then on the operator's policy applies as in plain Redis.
/// Pure: the guarded node's fence is <see cref="MasterFence"/>.
/// </summary>
/// <param name="Count"><c>min-replicas-to-write</c>, 0 (off) or more.</param>
/// <param name="MaxLagSeconds"><c>min-replicas-max-lag</c>, whole seconds.</param>
public sealed record OperatorMinReplicas(int Count, int MaxLagSeconds)
{
    /// <summary>Whether a promotion must set it to 0 first (it asks for a replica the new master cannot have yet).</summary>
    public bool LowerAtPromotion => Count > 0;

    /// <summary>
    /// Whether a lowered setting can be given back now: the local Redis is a replica (where it does not
    /// apply, and from where it is kept for the next term), or a master with at least <see cref="Count"/>
    /// online replicas (<c>INFO replication</c> <c>state=online</c>).
    /// </summary>
    public bool RestoreNow(ReplicationFacts local) =>
        local.Role == RedisRole.Replica || local.OnlineReplicas >= Count;
}
