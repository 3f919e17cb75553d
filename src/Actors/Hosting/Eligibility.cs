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
    /// <summary>How long a backup still stands off once every reachable member has published (<see cref="Cluster.GossipCurrency.Pending"/>
    /// emptied): nodes released by the same gossip would otherwise race, and the first to arm its Master_Down_Timer would
    /// win whatever its priority (VRRP's skew differs by milliseconds, the gossip's arrival by a hundred or more).
    /// 20 ms per priority step below 255: 1.1 s at priority 200, 1.3 s at 190; and <see cref="YieldToHigherPeer"/> more while a
    /// reachable data peer with a higher priority is a backup too, since the moment each node sees the last state arrive
    /// differs by up to half a second in the lab (a lower node released first won the boot, and the higher one preempted it
    /// seconds later: two VIP moves before any traffic).</summary>
    /// <param name="priority">The node's effective priority, 0..255.</param>
    /// <param name="higherPeerStanding">A reachable data peer with a higher effective priority is a BACKUP as well.</param>
    public static TimeSpan StandOffAfterWait(byte priority, bool higherPeerStanding = false) =>
        TimeSpan.FromMilliseconds(20 * (255 - priority)) + (higherPeerStanding ? YieldToHigherPeer : TimeSpan.Zero);

    /// <summary>The extra stand-off of a node below a reachable, higher-priority backup: 2 s, beyond any gossip skew seen.
    /// Bounded, so a higher peer that cannot become master (held back by its data) delays the election by this much only.</summary>
    public static readonly TimeSpan YieldToHigherPeer = TimeSpan.FromSeconds(2);

    /// <summary>The VRRP health input for <paramref name="health"/>.</summary>
    /// <param name="health">The monitor's last verdict.</param>
    /// <param name="defer">Why an empty Redis defers to a fuller peer's, else null.</param>
    /// <param name="handingOverTo">The node a switchover is handing the VIP to, else null.</param>
    /// <param name="switchedAway">A switchover moved the VIP away from this node: it stays eligible for a
    /// real failover but does not preempt back until it restarts or is switched over to.</param>
    /// <param name="gaveBack">Why a preemption was given back (<see cref="PreemptionYielded"/>) while that hold lasts, else null.</param>
    /// <param name="master">This node is VRRP MASTER now.</param>
    /// <param name="pending">Reachable cluster members whose current incarnation has not published its state yet
    /// (<see cref="Cluster.GossipCurrency.Pending"/>): a backup does not stand for election until they have, since one of
    /// them may hold newer data (two nodes rejoining after a heal); a master keeps the VIP. Null as none.</param>
    public static HealthChanged Gate(RedisHealth health, string? defer, string? handingOverTo, bool switchedAway, string? gaveBack = null, bool master = false,
        IReadOnlyList<string>? pending = null)
    {
        var h = new HealthChanged(health.EffectivePriority, health.Eligible, health.Cause, health.InSync);
        if (handingOverTo is not null) return h with { Eligible = false, Cause = $"switchover to {handingOverTo}" };
        if (defer is not null) return h with { Eligible = false, Cause = $"not eligible: {defer}" };
        if (!master && pending is { Count: > 0 })
            return h with { Eligible = false, Cause = $"not eligible yet: waiting for {string.Join(", ", pending)} to publish its state (joined or restarted; what its Redis holds is not known)" };
        // A preemption given back: not eligible while still MASTER, so VRRP hands the VIP back at once
        // (priority 0); as a backup eligible for a real failover but not preempting until the hold ends.
        if (gaveBack is not null)
            return master ? h with { Eligible = false, Cause = $"not eligible: {gaveBack}" } : h with { InSync = false };
        return switchedAway ? h with { InSync = false } : h;
    }
}
