using RedisHaActors.Redis;

namespace RedisHaActors.Hosting;

/// <summary>
/// At most one automatic failover per damping window unless the evidence is certain: a false
/// failover (a fork, an fsync, a GC pause read as a dead master) costs a write pause and a
/// resync, and a storm of them is worse than a slow failover. Within the window after the VIP last
/// moved to or from this node, (a) a MASTER whose check fails only on timeouts keeps the VIP (it
/// yields at once when the evidence becomes certain, <see cref="RedisHealth.Certain"/>: the Redis
/// port refuses connections or Redis refuses writes, and when the window ends), and (b) a BACKUP
/// does not preempt. Takeovers of a silent or departed master are not damped: no one else holds
/// the VIP then. Pure; the node applies it to the monitor's verdict before <see cref="Eligibility"/>.
/// </summary>
public static class FailoverDamping
{
    /// <summary>The verdict to hand on, and until when damping changed it (null: unchanged).</summary>
    /// <param name="Health">The monitor's verdict, possibly damped.</param>
    /// <param name="Until">When the window ends (monotonic) if damping changed the verdict; the node re-gates then.</param>
    /// <param name="Note">What damping did, for the log; null when nothing.</param>
    public sealed record Verdict(RedisHealth Health, TimeSpan? Until, string? Note);

    /// <summary>Damps <paramref name="health"/>.</summary>
    /// <param name="health">The monitor's verdict.</param>
    /// <param name="master">This node is VRRP MASTER.</param>
    /// <param name="lastMove">When the VIP last moved to or from this node (monotonic), null when never since start.</param>
    /// <param name="now">Monotonic now.</param>
    /// <param name="window"><c>redis-ha.vrrp.failover-damping</c>; zero turns damping off.</param>
    public static Verdict Damp(RedisHealth health, bool master, TimeSpan? lastMove, TimeSpan now, TimeSpan window)
    {
        if (window <= TimeSpan.Zero || lastMove is not { } moved || now - moved >= window) return new Verdict(health, null, null);
        var until = moved + window;
        var left = $"{(until - now).TotalSeconds:0.0} s";
        if (master && !health.Eligible && !health.Certain)
            return new Verdict(health with { Eligible = true }, until,
                $"damping: {health.Cause}, {(now - moved).TotalSeconds:0.0} s after the last failover; keeping the VIP for up to {left} " +
                "more unless the evidence becomes certain (Redis refusing connections or writes)");
        if (!master && health.InSync)
            return new Verdict(health with { InSync = false }, until, $"damping: no preemption for {left} (the VIP moved {(now - moved).TotalSeconds:0.0} s ago)");
        return new Verdict(health, null, null);
    }
}
