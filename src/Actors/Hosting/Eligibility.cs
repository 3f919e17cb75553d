using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// Whether this node may be VRRP MASTER: the monitor's verdict on its Redis (health and the
/// empty-restart hold, <see cref="RedisHealth"/>), made ineligible while <see cref="DataPreference"/>
/// defers to a fuller peer or a switchover hands the VIP away, and never preempting after a
/// switchover away from it. Pure; the result is VRRP's health input.
/// </summary>
public static class Eligibility
{
    /// <summary>The VRRP health input for <paramref name="health"/>.</summary>
    /// <param name="health">The monitor's last verdict.</param>
    /// <param name="defer">Why an empty Redis defers to a fuller peer's, else null.</param>
    /// <param name="handingOverTo">The node a switchover is handing the VIP to, else null.</param>
    /// <param name="switchedAway">A switchover moved the VIP away from this node: it stays eligible for a
    /// real failover but does not preempt back until it restarts or is switched over to.</param>
    public static HealthChanged Gate(RedisHealth health, string? defer, string? handingOverTo, bool switchedAway)
    {
        var h = new HealthChanged(health.EffectivePriority, health.Eligible, health.Cause, health.InSync);
        if (handingOverTo is not null) return h with { Eligible = false, Cause = $"switchover to {handingOverTo}" };
        if (defer is not null) return h with { Eligible = false, Cause = $"not eligible: {defer}" };
        return switchedAway ? h with { InSync = false } : h;
    }
}
