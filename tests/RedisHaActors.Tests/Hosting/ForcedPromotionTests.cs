using System.Net;
using RedisHaActors.Cluster;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Hosting;

/// <summary>
/// <c>redis-ha promote --accept-loss</c> as a decision (<see cref="ForcedPromotion"/>): when it may run, what it overrides,
/// what it never overrides, and the loss it reports.
/// </summary>
public sealed class ForcedPromotionTests
{
    private static readonly RedisHealth Healthy = new(190, true, "redis check OK (priority 190)", false);

    // The master died during this replica's first full sync: link down since Redis started.
    private static readonly ReplicationFacts NeverSynced =
        new(RedisRole.Replica, "192.0.2.1", 6379, false, 0, 0, "fresh", 0, "no-failover", Keys: 0, NeverSynced: true);

    // A backup whose master has fallen silent: VRRP hears none.
    private static readonly VrrpStatus Backup = new(VrrpState.Backup, 190, false, IPAddress.Parse("192.0.2.1"), 0, new Dictionary<DropReason, long>());

    private static ForcedPromotion.Situation Unguarded(ReplicationFacts? own = null, VrrpStatus? vrrp = null, long? lastKnownMasterOffset = 5000,
        long? maxLoss = null, RedisHealth? health = null) =>
        new(false, QuorumView.GuardOff, MaintenanceMode.Off, null, vrrp ?? Backup, health ?? Healthy, own ?? NeverSynced, [], [], null, maxLoss,
            lastKnownMasterOffset);

    private static PeerView Peer(string name, PeerVrrpState vrrp, PeerRedisRole redis, bool reachable, long offset = 4000, string address = "192.0.2.1") =>
        new(new PeerState(name, PeerRole.Data, $"akka.tcp://redis-ha@{address}:4053", address, address, 6379, vrrp, 200, offset, redis, 7, 20), reachable);

    private static ForcedPromotion.Situation Guarded(IReadOnlyList<PeerView> peers, QuorumView? quorum = null, MaintenanceMode maintenance = MaintenanceMode.Off,
        ReplicationFacts? own = null, IReadOnlyList<DataPeer>? remembered = null) =>
        new(true, quorum ?? new QuorumView(true, 2, 3, "2 of 3 voters reachable"), maintenance, null, Backup, Healthy, own ?? NeverSynced, peers,
            GossipMapping.DataPeers(peers), remembered, null, 5000);

    [Fact]
    public void A_never_synced_replica_whose_master_is_gone_is_forced_only_with_accept_loss_and_the_loss_is_reported()
    {
        var dry = ForcedPromotion.Decide(Unguarded(), acceptLoss: false);
        Assert.StartsWith("refused without --accept-loss: nothing changed; a forced promotion would override 'its Redis has not completed a sync with 192.0.2.1:6379", dry.Refusal);
        Assert.Contains("estimated loss 5000 bytes (master offset 5000 as last seen, own 0); redis-ha promote --accept-loss takes over with that loss", dry.Refusal);
        Assert.DoesNotContain('\n', dry.Refusal!);

        var go = ForcedPromotion.Decide(Unguarded(), acceptLoss: true);
        Assert.Null(go.Refusal);
        var reason = Assert.Single(go.Overrides);
        Assert.Equal(DataPreference.Defer(NeverSynced, []), reason);
        Assert.Equal(5000, go.EstimatedLoss);
        Assert.Equal($"operator forced promotion: overriding '{reason}', estimated loss 5000 bytes (master offset 5000 as last seen, own 0)", go.Line);
        // No master offset ever seen: said so, not a made-up 0.
        Assert.EndsWith("estimated loss unknown (no master offset seen, own 0)", ForcedPromotion.Decide(Unguarded(lastKnownMasterOffset: null), true).Line);
    }

    [Fact]
    public void Never_while_a_master_is_heard_or_held_here_or_VRRP_cannot_take_over()
    {
        var hearing = ForcedPromotion.Decide(Unguarded(vrrp: Backup with { MasterHeardAgo = TimeSpan.FromMilliseconds(200) }), true);
        Assert.StartsWith("refused: this node hears master 192.0.2.1 (last advert 0.20 s ago): a live VIP holder", hearing.Refusal);
        Assert.Contains("redis-ha switchover", hearing.Refusal);
        Assert.Equal("refused: this node holds the VIP already (VRRP MASTER)",
            ForcedPromotion.Decide(Unguarded(vrrp: Backup with { State = VrrpState.Master, Master = null }), true).Refusal);
        Assert.StartsWith("refused: VRRP is FAULT, not BACKUP", ForcedPromotion.Decide(Unguarded(vrrp: Backup with { State = VrrpState.Fault }), true).Refusal);
        Assert.StartsWith("refused: VRRP did not answer", ForcedPromotion.Decide(Unguarded() with { Vrrp = null }, true).Refusal);
        Assert.StartsWith("refused: a forced promotion is already in progress (operator forced promotion: ...)",
            ForcedPromotion.Decide(Unguarded() with { InProgress = "operator forced promotion: ..." }, true).Refusal);
    }

    [Fact]
    public void Guarded_never_past_the_quorum_a_reachable_VIP_holder_or_the_pause()
    {
        var deadMaster = Peer("n1", PeerVrrpState.Master, PeerRedisRole.Master, reachable: false);
        var go = ForcedPromotion.Decide(Guarded([deadMaster]), true);
        Assert.Null(go.Refusal);
        // The offsets count only the stream since the master's first replica: the key counts show what else is lost.
        Assert.EndsWith("estimated loss 5000 bytes (master offset 5000 as last seen, own 0); keys: own 0, the master's 20 as last gossiped", go.Line);

        var live = ForcedPromotion.Decide(Guarded([deadMaster with { Reachable = true }]), true);
        Assert.StartsWith("refused: n1 is VRRP MASTER and reachable in the cluster (its Redis master): a live VIP holder", live.Refusal);

        var minority = ForcedPromotion.Decide(Guarded([deadMaster], new QuorumView(false, 1, 3, "1 of 3 voters reachable, 2 needed")), true);
        Assert.StartsWith("refused: this node does not see a majority of the voters (1 of 3 voters reachable, 2 needed); a forced promotion never overrides the quorum",
            minority.Refusal);
        Assert.StartsWith("refused: the set is paused", ForcedPromotion.Decide(Guarded([deadMaster], maintenance: MaintenanceMode.Paused), true).Refusal);
        Assert.StartsWith("refused: the set's maintenance mode is not known yet", ForcedPromotion.Decide(Guarded([deadMaster], maintenance: MaintenanceMode.Unknown), true).Refusal);
    }

    [Fact]
    public void The_Redis_check_and_an_answering_Redis_are_never_overridden()
    {
        Assert.Equal("refused: the local Redis does not answer: nothing to promote", ForcedPromotion.Decide(Unguarded() with { Own = null }, true).Refusal);
        var failing = Healthy with { Eligible = false, Cause = "redis check failed 2 times: timeout" };
        Assert.Equal("refused: redis check failed 2 times: timeout; a forced promotion overrides the data rules only, never the Redis check",
            ForcedPromotion.Decide(Unguarded(health: failing), true).Refusal);
    }

    [Fact]
    public void Replica_priority_0_and_a_reachable_peer_with_the_newer_history_or_the_data_are_never_overridden()
    {
        var priority0 = ForcedPromotion.Decide(Unguarded(NeverSynced with { ReplicaPriority = 0 }), true);
        Assert.StartsWith("refused: replica-priority 0 in its redis.conf: never promoted, not even by redis-ha promote", priority0.Refusal);
        Assert.EndsWith("; a forced promotion does not override that", priority0.Refusal);

        // n3's Redis was promoted from ours and is reachable: that is the node to promote.
        var own = new ReplicationFacts(RedisRole.Replica, "192.0.2.1", 6379, false, 900, 900, "ours", 0, "no-failover", Keys: 5);
        var newer = new PeerView(Peer("n3", PeerVrrpState.Backup, PeerRedisRole.Master, reachable: true, address: "192.0.2.3").State with
        {
            ReplId = "theirs", ReplId2 = "ours",
        }, true);
        Assert.Contains("n3's Redis was promoted from this one's history", ForcedPromotion.Decide(Guarded([newer], own: own), true).Refusal);
        // Out of reach, the same history is what a forced promotion may override (and it says so).
        var away = ForcedPromotion.Decide(Guarded([newer with { Reachable = false }], own: own), true);
        Assert.Null(away.Refusal);
        Assert.Contains("n3's Redis was promoted from this one's history", Assert.Single(away.Overrides));

        // Ours empty, a reachable replica holds the data.
        var fuller = Peer("n3", PeerVrrpState.Backup, PeerRedisRole.Replica, reachable: true, address: "192.0.2.3");
        var empty = new ReplicationFacts(RedisRole.Replica, "192.0.2.1", 6379, false, 0, 0, "x", 0, "no-failover", Keys: 0);
        Assert.StartsWith("refused: own Redis is empty and n3's Redis has 20 keys", ForcedPromotion.Decide(Guarded([fuller], own: empty), true).Refusal);
    }

    [Fact]
    public void Max_loss_is_overridden_and_nothing_to_override_is_refused()
    {
        var behind = new ReplicationFacts(RedisRole.Replica, "192.0.2.1", 6379, false, 1000, 1000, "r", 0, "no-failover", Keys: 5);
        var go = ForcedPromotion.Decide(Unguarded(behind, maxLoss: 1024), true);
        Assert.Null(go.Refusal);
        Assert.StartsWith("estimated loss 4000 bytes is above max-loss 1024 bytes", Assert.Single(go.Overrides));
        Assert.EndsWith("estimated loss 4000 bytes (master offset 5000 as last seen, own 1000)", go.Line);

        var nothing = ForcedPromotion.Decide(Unguarded(behind), true);
        Assert.StartsWith("refused: nothing to override: no data rule holds this node back", nothing.Refusal);
    }

    [Fact]
    public void The_master_offset_is_the_larger_of_the_last_read_and_the_masters_last_gossip()
    {
        var deadMaster = Peer("n1", PeerVrrpState.Master, PeerRedisRole.Master, reachable: false, offset: 7000);
        Assert.Equal(7000, ForcedPromotion.Decide(Guarded([deadMaster]), true).MasterOffset);
        Assert.Equal(5000, ForcedPromotion.Decide(Guarded([deadMaster with { State = deadMaster.State with { ReplOffset = 3000 } }]), true).MasterOffset);
        // Only remembered (its node downed and gone): its last state still counts.
        var remembered = GossipMapping.DataPeers([deadMaster with { State = deadMaster.State with { ReplOffset = 9000 } }]);
        Assert.Equal(9000, ForcedPromotion.Decide(Guarded([], remembered: remembered) with { LastKnownMasterOffset = null }, true).MasterOffset);
    }

    [Fact]
    public void The_window_covers_the_election_the_fence_wait_and_the_catch_up()
    {
        // Defaults: 1 s adverts, 10 s sync-timeout, 2 s checks with a 1 s timeout: under 30 s.
        var defaults = RedisHaActors.Configuration.HaSettings.Parse("redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.100/24\"]");
        Assert.Equal(TimeSpan.FromSeconds(27.5), ForcedPromotion.Window(defaults.Vrrp.AdvertInterval, defaults.Redis));
        // keepalived's advert_int 5: Master_Down_Interval alone is over 15 s.
        Assert.True(ForcedPromotion.Window(TimeSpan.FromSeconds(5), defaults.Redis) > 4 * TimeSpan.FromSeconds(5) + defaults.Redis.SyncTimeout);
    }
}
