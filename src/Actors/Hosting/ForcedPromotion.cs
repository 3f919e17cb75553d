using System.Globalization;
using RedisHaActors.Cluster;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// The operator's forced promotion (<c>redis-ha promote --accept-loss</c> on the node that should take over), pure: may
/// it run now, what it overrides, and the loss it accepts. It is the way out when the master is gone and the replica
/// left is held back by a data rule that only a person may break: a first sync that never finished, a newer history
/// that is out of reach (<see cref="DataPreference.Forcible"/>), an estimated loss above <c>max-loss</c>
/// (<see cref="LossBound"/>). It never overrides what keeps the set safe or what the operator set as a standing rule:
/// it runs only on a node whose own Redis answers and passes its check, that sees the set's majority (cluster guard),
/// that is not paused, that hears no VRRP master and (guarded) sees no reachable node holding the VIP; and never past
/// <c>replica-priority 0</c>, a reachable peer holding the newer history, or a reachable peer holding the data while
/// ours is empty (promote that one instead). Accepted, the node skips those data rules once, for this takeover: it
/// becomes eligible, wins the election after Master_Down_Interval and promotes through the usual
/// <see cref="Promotion"/> (which catches up with, or re-points, an old master Redis that still answers); the override
/// ends when the node holds the VIP over a master Redis, or after <see cref="Window"/>.
/// </summary>
public static class ForcedPromotion
{
    /// <summary>What the node knows when the request arrives.</summary>
    /// <param name="Guarded">The cluster guard runs.</param>
    /// <param name="Quorum">The guard's view (<see cref="QuorumView.GuardOff"/> without it).</param>
    /// <param name="Maintenance">The set's maintenance mode as this node knows it.</param>
    /// <param name="InProgress">The line of a forced promotion already in effect on this node, else null.</param>
    /// <param name="Vrrp">The VRRP instance's status; null when it did not answer.</param>
    /// <param name="Health">The monitor's last verdict on the local Redis; null before the first.</param>
    /// <param name="Own">The local Redis' facts; null when it does not answer.</param>
    /// <param name="Peers">The gossiped peers (empty without the guard).</param>
    /// <param name="DataPeers">The data peers as <see cref="GossipMapping.DataPeers"/> maps them.</param>
    /// <param name="Remembered">Data nodes remembered from an earlier incarnation (<see cref="DataPreference.Defer"/>); null as none.</param>
    /// <param name="MaxLoss"><c>redis-ha.redis.max-loss</c>, bytes; null = off.</param>
    /// <param name="LastKnownMasterOffset">The master Redis' <c>master_repl_offset</c> as the role flipper last read it; null unknown.</param>
    public sealed record Situation(
        bool Guarded,
        QuorumView Quorum,
        MaintenanceMode Maintenance,
        string? InProgress,
        VrrpStatus? Vrrp,
        RedisHealth? Health,
        ReplicationFacts? Own,
        IReadOnlyList<PeerView> Peers,
        IReadOnlyList<DataPeer> DataPeers,
        IReadOnlyList<DataPeer>? Remembered,
        long? MaxLoss,
        long? LastKnownMasterOffset);

    /// <summary>The decision.</summary>
    /// <param name="Refusal">One line for the operator when nothing happens (refused, or no <c>--accept-loss</c>); null = go.</param>
    /// <param name="Overrides">The refusals the promotion overrides, as the node states them; empty when refused before they were read.</param>
    /// <param name="EstimatedLoss">Bytes of the master's replication stream this Redis never received (<see cref="RolePlanner.EstimatedLoss"/>).</param>
    /// <param name="MasterOffset">The master's offset the estimate starts from; null unknown (the estimate is then 0).</param>
    /// <param name="OwnOffset">This Redis' offset, bytes.</param>
    /// <param name="OwnKeys">Keys in this Redis; -1 unknown.</param>
    /// <param name="MasterKeys">Keys in the master's Redis as its node last gossiped (guarded only); -1 unknown. The offsets count
    /// only the replication stream since the master's backlog began (its first replica): for a replica that never synced,
    /// what the master held before is lost too, and only the key counts show it.</param>
    public sealed record Decision(string? Refusal, IReadOnlyList<string> Overrides, long EstimatedLoss, long? MasterOffset, long OwnOffset,
        long OwnKeys = -1, long MasterKeys = -1)
    {
        /// <summary>The line logged (a warning) and answered when the promotion is forced.</summary>
        public string Line => $"operator forced promotion: overriding {string.Join("; ", Overrides.Select(o => $"'{o}'"))}, {Loss}";

        /// <summary>"estimated loss N bytes (master offset X as last seen, own Y)", then "; keys: own K, the master's M as last gossiped" when known.</summary>
        public string Loss => (MasterOffset is { } m
            ? string.Create(CultureInfo.InvariantCulture, $"estimated loss {EstimatedLoss} bytes (master offset {m} as last seen, own {OwnOffset})")
            : string.Create(CultureInfo.InvariantCulture, $"estimated loss unknown (no master offset seen, own {OwnOffset})"))
            + (OwnKeys >= 0 && MasterKeys >= 0 ? string.Create(CultureInfo.InvariantCulture, $"; keys: own {OwnKeys}, the master's {MasterKeys} as last gossiped") : "");
    }

    /// <summary>
    /// The bound on one forced promotion, from the command to the VIP over a master Redis: Master_Down_Interval (under 4
    /// advert intervals), a guarded promotion's wait for a silent old master's self-fence
    /// (<see cref="MasterFence.SelfFenceTime"/> plus an advert interval), a catch-up with an old master Redis that still
    /// answers (at most sync-timeout), two checks (the promotion's commands and the check that sees it done, each within
    /// interval plus timeout) and 2 s. 27.5 s with the defaults (1 s adverts, 10 s sync-timeout, 2 s checks with a 1 s
    /// timeout). After it the override ends and the data rules hold again.
    /// </summary>
    /// <param name="advertInterval"><c>redis-ha.vrrp.advert-interval</c>.</param>
    /// <param name="redis">The Redis settings (sync-timeout, the check's interval and timeout).</param>
    public static TimeSpan Window(TimeSpan advertInterval, Configuration.RedisSettings redis) =>
        5 * advertInterval + MasterFence.SelfFenceTime + redis.SyncTimeout + 2 * (redis.Check.Interval + redis.Check.Timeout) + TimeSpan.FromSeconds(2);

    /// <summary>Decides a <c>redis-ha promote</c> request.</summary>
    /// <param name="s">What the node knows.</param>
    /// <param name="acceptLoss">The operator passed <c>--accept-loss</c>; without it the answer is a refusal that says what would
    /// be overridden and the estimated loss.</param>
    public static Decision Decide(Situation s, bool acceptLoss)
    {
        var ownOffset = s.Own?.Offset ?? 0;
        var masterOffset = MasterOffset(s.LastKnownMasterOffset, s.DataPeers, s.Remembered);
        var loss = RolePlanner.EstimatedLoss(masterOffset, ownOffset);
        var masterKeys = Masters(s.DataPeers, s.Remembered).Select(p => p.Keys).DefaultIfEmpty(-1).Max();
        var ownKeys = s.Own?.Keys ?? -1;
        Decision Refused(string why, IReadOnlyList<string>? overrides = null) => new(why, overrides ?? [], loss, masterOffset, ownOffset, ownKeys, masterKeys);

        if (s.InProgress is { } pending) return Refused($"refused: a forced promotion is already in progress ({pending})");
        if (s.Guarded && s.Maintenance == MaintenanceMode.Paused)
            return Refused("refused: the set is paused (maintenance mode): nothing moves until redis-ha resume");
        if (s.Guarded && s.Maintenance == MaintenanceMode.Unknown)
            return Refused("refused: the set's maintenance mode is not known yet (not read from the cluster); try again in a moment");
        if (s.Guarded && !s.Quorum.HasQuorum)
            return Refused($"refused: this node does not see a majority of the voters ({s.Quorum.Cause}); a forced promotion never overrides " +
                           "the quorum, the other side may have a master");
        if (s.Vrrp is not { } vrrp) return Refused("refused: VRRP did not answer; try again in a moment");
        if (vrrp.State == VrrpState.Master) return Refused("refused: this node holds the VIP already (VRRP MASTER)");
        if (vrrp.State != VrrpState.Backup)
            return Refused($"refused: VRRP is {Upper(vrrp.State)}, not BACKUP: this node cannot take the VIP now");
        if (vrrp.MasterHeardAgo is { } ago)
            return Refused(string.Create(CultureInfo.InvariantCulture,
                $"refused: this node hears master {vrrp.Master?.ToString() ?? "(preempted)"} (last advert {ago.TotalSeconds:0.00} s ago): a live VIP holder; ") +
                "a forced promotion is for a set whose master is gone (redis-ha switchover on the master's host moves the VIP from a live one)");
        if (s.Guarded && s.Peers.FirstOrDefault(p => p.Reachable && p.State.VrrpState == PeerVrrpState.Master) is { } holder)
            return Refused($"refused: {holder.State.Name} is VRRP MASTER and reachable in the cluster (its Redis {Lower(holder.State.RedisRole)}): " +
                           "a live VIP holder; a forced promotion is for a set whose master is gone");
        if (s.Own is not { } own || s.Health is not { } health)
            return Refused("refused: the local Redis does not answer: nothing to promote");
        if (!health.Eligible)
            return Refused($"refused: {health.Cause}; a forced promotion overrides the data rules only, never the Redis check");
        // A rule no operator's force breaks here: the standing "never" of replica-priority 0, or a reachable peer that
        // holds the newer history or the data: that one is the node to promote.
        if (DataPreference.Defer(own, s.DataPeers, s.Remembered, master: false, forced: true) is { } binding)
            return Refused($"refused: {binding}; a forced promotion does not override that");
        List<string> overrides = [.. DataPreference.Forcible(own, s.DataPeers, s.Remembered)];
        if (LossBound.Refusal(s.MaxLoss, masterOffset, own) is { } bound) overrides.Add(bound);
        if (overrides.Count == 0)
            return Refused($"refused: nothing to override: no data rule holds this node back (VRRP {(vrrp.Eligible ? "eligible" : "not eligible")}); " +
                           "it stands for election by itself");
        var go = new Decision(null, overrides, loss, masterOffset, ownOffset, ownKeys, masterKeys);
        return acceptLoss
            ? go
            : Refused($"refused without --accept-loss: nothing changed; a forced promotion would override {string.Join("; ", overrides.Select(o => $"'{o}'"))}, " +
                      $"{go.Loss}; redis-ha promote --accept-loss takes over with that loss", overrides);
    }

    /// <summary>The master's offset the estimate starts from: the larger of what this node's role flipper last read from the
    /// master's Redis and what a master's node last gossiped (the freshest either saw; the larger estimate is the honest one).</summary>
    private static long? MasterOffset(long? lastKnown, IReadOnlyList<DataPeer> peers, IReadOnlyList<DataPeer>? remembered)
    {
        var gossiped = Masters(peers, remembered).Where(p => p.Offset >= 0).Select(p => (long?)p.Offset).Max();
        return (lastKnown, gossiped) switch
        {
            ({ } a, { } b) => Math.Max(a, b),
            ({ } a, null) => a,
            (null, var b) => b,
        };
    }

    /// <summary>The data peers whose Redis was a master as last gossiped, reachable, unreachable or remembered.</summary>
    private static IEnumerable<DataPeer> Masters(IReadOnlyList<DataPeer> peers, IReadOnlyList<DataPeer>? remembered) =>
        peers.Concat(remembered ?? []).Where(p => p.Role == RedisRole.Master);

    private static string Upper<T>(T value) where T : struct, Enum => value.ToString().ToUpperInvariant();

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
