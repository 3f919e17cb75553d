using RedisHaActors.Cluster;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>What this node knows of the set's maintenance mode.</summary>
public enum MaintenanceMode
{
    /// <summary>A guarded node before the guard's first read of the register: it holds still (no takeover).</summary>
    Unknown,

    /// <summary>Not paused (always so without the guard).</summary>
    Off,

    /// <summary>Paused: no automatic failover, no role change, the VIP stays where it is.</summary>
    Paused,
}

/// <summary>
/// The decisions of maintenance mode (<c>redis-ha pause</c> / <c>resume</c>), pure: whether a request is refused,
/// and what VRRP's health input becomes while paused. The VIP holder stays eligible whatever its check says (no
/// yield: nothing moves while paused); every other node is not eligible (no takeover, no preemption), so the VIP stays
/// where it is even while the holder's coordinator restarts (its VIP then has no expiry, <see cref="MaintenanceVerdict"/>).
/// </summary>
public static class MaintenancePolicy
{
    /// <summary>Why a pause or resume is refused; null to go ahead.</summary>
    /// <param name="pause">True for pause, false for resume.</param>
    /// <param name="force">Resume although no live VIP holder is seen.</param>
    /// <param name="guarded">The cluster guard runs (it carries the mode to every node).</param>
    /// <param name="quorum">The guard's view (a pause must reach a majority).</param>
    /// <param name="selfMaster">This node is VRRP MASTER.</param>
    /// <param name="peers">The gossiped peers.</param>
    public static string? Refusal(bool pause, bool force, bool guarded, QuorumView quorum, bool selfMaster, IReadOnlyList<PeerView> peers)
    {
        var verb = pause ? "pause" : "resume";
        if (!guarded)
            return $"{verb} refused: maintenance mode needs the cluster guard (akka.cluster.seed-nodes), which carries it to every node; " +
                   "without it each node would decide alone";
        if (!quorum.HasQuorum)
            return $"{verb} refused: this node does not see a majority of the voters ({quorum.Cause}), so the set might not learn of it";
        if (!pause && !force && !selfMaster && !peers.Any(p => p.Reachable && p.State.VrrpState == PeerVrrpState.Master))
            return "resume refused: no live VIP holder is seen; a paused holder keeps its VIP with no expiry until its coordinator runs again, " +
                   "so a takeover now could give the VIP twice: start the holder's coordinator first, or resume --force if its host is gone for good";
        return null;
    }

    /// <summary>VRRP's health input while the mode is <paramref name="mode"/>.</summary>
    /// <param name="gated">The input as the other gates made it (<see cref="Eligibility.Gate"/>).</param>
    /// <param name="mode">The set's maintenance mode as this node knows it.</param>
    /// <param name="holder">This node holds the VIP: VRRP MASTER, or it started with the VIP a paused master left (no expiry).</param>
    public static HealthChanged Gate(HealthChanged gated, MaintenanceMode mode, bool holder) => mode switch
    {
        MaintenanceMode.Off => gated,
        _ when holder => gated with { Eligible = true, Cause = $"{Name(mode)}: keeps the VIP ({gated.Cause})" },
        _ => gated with { Eligible = false, Cause = mode == MaintenanceMode.Paused ? "paused: no takeover while the set is in maintenance mode" : "waiting for the set's maintenance mode from the cluster" },
    };

    /// <summary>
    /// VRRP's quorum input. Paused (or restarted holding a paused VIP) the holder keeps the VIP whatever the quorum:
    /// no other node may take over while paused, so a second master cannot appear, and stepping down would only
    /// cause the outage the pause is there to avoid (a stopping coordinator leaves the cluster before its VRRP stops).
    /// </summary>
    /// <param name="view">The guard's view.</param>
    /// <param name="holdingStill">Paused, or restarted holding a paused VIP.</param>
    public static QuorumVerdict Quorum(QuorumView view, bool holdingStill) =>
        holdingStill && !view.HasQuorum
            ? new QuorumVerdict(true, $"paused: the quorum does not move the VIP ({view.Cause})")
            : new QuorumVerdict(view.HasQuorum, view.Cause);

    private static string Name(MaintenanceMode mode) => mode == MaintenanceMode.Paused ? "paused" : "maintenance mode not known yet";
}
