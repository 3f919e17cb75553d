namespace RedisHaActors.Redis;

/// <summary>
/// The operator's bound on the estimated loss of an automatic promotion (<c>redis-ha.redis.max-loss</c>, bytes, off by
/// default). Pure. The estimate is the old master's <c>master_repl_offset</c> as this node last saw it minus its own
/// replica's offset (<see cref="RolePlanner.EstimatedLoss"/>): the replication stream it never received, an upper bound of
/// the acknowledged writes a promotion now would lose (the master may also have taken writes after it was last seen).
/// </summary>
public static class LossBound
{
    /// <summary>Why an automatic promotion is refused now, or null.</summary>
    /// <param name="maxLoss">The bound in bytes; null = off.</param>
    /// <param name="lastKnownMasterOffset">The followed master's last seen <c>master_repl_offset</c>, null unknown.</param>
    /// <param name="own">The local Redis' facts; null when it does not answer. Only a replica is bounded (a master has
    /// nothing to catch up with).</param>
    public static string? Refusal(long? maxLoss, long? lastKnownMasterOffset, ReplicationFacts? own)
    {
        if (maxLoss is not { } max || own is not { Role: RedisRole.Replica } replica) return null;
        var loss = RolePlanner.EstimatedLoss(lastKnownMasterOffset, replica.Offset);
        return loss > max
            ? $"estimated loss {loss} bytes is above max-loss {max} bytes (the master's offset {lastKnownMasterOffset} as last seen, own {replica.Offset}): " +
              "not promoted automatically (once that master is gone, redis-ha promote --accept-loss on this node forces it)"
            : null;
    }
}

/// <summary>Sent by <see cref="RoleFlipActor"/> to its parent when <see cref="LossBound.Refusal"/> changes.</summary>
/// <param name="Refusal">Why an automatic promotion is refused now, or null.</param>
public sealed record LossBoundChanged(string? Refusal);
