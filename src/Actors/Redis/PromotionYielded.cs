namespace RedisHaActors.Redis;

/// <summary>
/// A voluntary promotion (a preemption: the old master was still advertising) gave up instead of
/// promoting with a loss: the local replica did not catch up with the old master's final offset
/// within sync-timeout, or the old master's Redis did not answer. The old master's writes were released
/// and it stays master; the node hands the VIP back and does not preempt for <see cref="Hold"/> (a
/// failover, when the old master goes, is still allowed).
/// </summary>
public sealed class PromotionYielded(string message) : Exception(message)
{
    /// <summary>How long a node that gave a preemption back does not preempt again.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromSeconds(60);
}

/// <summary>The role flipper gave a preemption back (<see cref="PromotionYielded"/>); the node supervisor makes VRRP
/// hand the VIP back and not preempt for <see cref="PromotionYielded.Hold"/>.</summary>
/// <param name="Reason">The outcome line, for the log and the eligibility cause.</param>
public sealed record PreemptionYielded(string Reason);
