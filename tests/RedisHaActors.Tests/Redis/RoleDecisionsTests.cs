using System.Net;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Redis;

/// <summary>The role flipper's rules, each a pure function: promotion allowed, fence wait, min-replicas
/// wanted, stray-master targets, observation throttling, what counts as a new decision.</summary>
public sealed class RoleDecisionsTests
{
    private static readonly IPAddress Old = IPAddress.Parse("192.0.2.1");
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(100);

    private static ReplicationFacts Master(params ReplicaLink[] replicas) =>
        new(RedisRole.Master, null, null, false, 100, 0, "r", replicas.Length, "no-failover", 5, Replicas: replicas);

    private static ReplicaLink Link(string ip, bool online = true, int port = 6379) => new(ip, port, online, 100, 0);

    private static DataPeer Peer(string name, bool reachable, string host = "192.0.2.2") =>
        new(name, host, 6379, reachable, RedisRole.Replica, 5, 100);

    [Fact]
    public void A_promotion_waits_while_the_VIP_lease_has_lapsed_and_goes_ahead_on_a_fresh_one()
    {
        var plan = new PromoteLocal(Old);
        var lapsed = new Lease(Now - TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2));
        var held = Assert.IsType<HoldPromotion>(RolePlanner.Gate(plan, lapsed, null, TimeSpan.FromSeconds(1), Now));
        Assert.Contains("3.00 s ago", held.Reason);
        Assert.Equal(plan, RolePlanner.Gate(plan, new Lease(Now - TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)), null, TimeSpan.FromSeconds(1), Now));
        Assert.Equal(plan, RolePlanner.Gate(plan, null, null, TimeSpan.FromSeconds(1), Now)); // no lease in this term yet
        // The lease only gates promotions.
        var follow = new FollowMaster("192.0.2.1", 6379);
        Assert.Equal(follow, RolePlanner.Gate(follow, lapsed, null, TimeSpan.FromSeconds(1), Now));
    }

    [Fact]
    public void A_plan_just_carried_out_is_not_repeated_within_the_settle_time()
    {
        var follow = new FollowMaster("192.0.2.1", 6379);
        Assert.IsType<RoleSteady>(RolePlanner.Gate(follow, null, (follow, Now - TimeSpan.FromMilliseconds(100)), TimeSpan.FromSeconds(1), Now));
        Assert.Equal(follow, RolePlanner.Gate(follow, null, (follow, Now - TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(1), Now));
        Assert.Equal(follow, RolePlanner.Gate(follow, null, (new FenceLocal("x"), Now), TimeSpan.FromSeconds(1), Now));
    }

    [Fact]
    public void The_fence_wait_covers_the_old_masters_self_fence_after_its_last_advert()
    {
        var margin = TimeSpan.FromMilliseconds(200);
        Assert.Equal(MasterFence.SelfFenceTime + margin - TimeSpan.FromSeconds(1),
            MasterFence.WaitBeforePromotion(margin, TimeSpan.FromSeconds(1)));
        Assert.Null(MasterFence.WaitBeforePromotion(null, TimeSpan.FromSeconds(1)));  // not guarded
        Assert.Null(MasterFence.WaitBeforePromotion(margin, null));                   // it left, or was preempted
        Assert.Equal(TimeSpan.FromSeconds(4.5), MasterFence.SelfFenceTime);
    }

    [Theory]
    [InlineData(true, true, 1)]    // the peer's replica online: fenced by its lag
    [InlineData(true, false, 1)]   // cut off but still listed: the lag fences it, never lowered
    [InlineData(false, true, 0)]   // its coordinator is reachable and its Redis is not replicating
    [InlineData(false, false, 1)]  // unreachable and not removed: writes refused until it is
    public void Min_replicas_is_lowered_only_for_a_reachable_peer_without_a_replica_or_a_removed_one(bool linked, bool reachable, int expected)
    {
        var facts = linked ? Master(Link("192.0.2.2")) : Master();
        Assert.Equal(expected, MasterFence.Wanted(facts, [Peer("n2", reachable)]).Count);
        // The majority removed the peer's node: nothing to wait for.
        Assert.Equal(0, MasterFence.Wanted(facts, []).Count);
    }

    [Fact]
    public void A_new_master_does_not_wait_for_the_removal_of_the_master_it_took_over_from()
    {
        // n2 promoted after n1 fell silent: n1 is unreachable but still a member. n1 keeps its own fence
        // raised (n2 is unreachable to it), so n2 takes writes at once.
        var oldMaster = Peer("n1", false, "192.0.2.1") with { VrrpAddress = "192.0.2.1" };
        Assert.Equal(0, MasterFence.Wanted(Master(), [oldMaster], tookOverFrom: "192.0.2.1").Count);
        // Any other unreachable member still raises it.
        Assert.Equal(1, MasterFence.Wanted(Master(), [oldMaster], tookOverFrom: "192.0.2.9").Count);
        Assert.Equal(1, MasterFence.Wanted(Master(), [oldMaster]).Count);
    }

    [Fact]
    public void An_extra_replica_cannot_stand_in_for_the_peers_replica()
    {
        var extra = Link("192.0.2.1", port: 6380); // a backup job's redis-cli --replica on the master's own host
        // Both online: both must acknowledge, so a cut from the peer fences the master though the extra stays.
        Assert.Equal(2, MasterFence.Wanted(Master(Link("192.0.2.2"), extra), [Peer("n2", true)]).Count);
        // The peer's replica gone and the peer cut off: one more than the extra, never satisfied.
        var cut = MasterFence.Wanted(Master(extra), [Peer("n2", false)]);
        Assert.Equal(2, cut.Count);
        Assert.Contains("n2 is unreachable but still a cluster member", cut.Reason);
        // A replica in the middle of its sync (not online) counts for nothing.
        Assert.Equal(1, MasterFence.Wanted(Master(Link("192.0.2.2"), Link("192.0.2.7", online: false)), [Peer("n2", true)]).Count);
    }

    [Theory]
    [InlineData("192.0.2.2", 6379, "192.0.2.2", true)]
    [InlineData("192.0.2.2", 6380, "192.0.2.2", false)]
    [InlineData("192.0.2.9", 6379, "192.0.2.2", false)]
    [InlineData("::ffff:192.0.2.2", 6379, "192.0.2.2", true)]
    [InlineData("192.0.2.9", 6379, "redis-b.example", true)] // a host name: the port alone
    public void A_replica_line_is_matched_to_a_peer_by_address_and_port(string ip, int port, string host, bool expected)
    {
        Assert.Equal(expected, MasterFence.IsReplicaOf(new ReplicaLink(ip, port, true, 0, 0), Peer("n2", true, host)));
    }

    [Fact]
    public void Min_replicas_is_resent_on_a_change_and_refreshed_every_few_seconds()
    {
        Assert.True(MasterFence.Due(null, 1, Now));
        Assert.True(MasterFence.Due((0, Now), 1, Now));
        Assert.False(MasterFence.Due((1, Now - TimeSpan.FromSeconds(1)), 1, Now));
        Assert.True(MasterFence.Due((1, Now - MasterFence.Refresh), 1, Now));
    }

    [Fact]
    public void Stray_master_targets_are_remembered_peers_whose_coordinator_is_not_reachable_never_our_own_Redis()
    {
        IReadOnlyDictionary<string, KnownRedis> known = new Dictionary<string, KnownRedis>();
        known = StrayMasters.Remember(known, [Peer("n2", true), Peer("n3", true, "192.0.2.3"), Peer("n4", true, "")], Now);
        Assert.Equal(["n2", "n3"], known.Keys.Order());
        // n2's node left the cluster: it is no longer gossiped, but its Redis is still remembered.
        Assert.Equal([("192.0.2.2", 6379)], StrayMasters.Targets(known, [Peer("n3", true, "192.0.2.3")], "192.0.2.1"));
        Assert.Equal([("192.0.2.2", 6379), ("192.0.2.3", 6379)], StrayMasters.Targets(known, [Peer("n3", false, "192.0.2.3")], "192.0.2.1"));
        Assert.Empty(StrayMasters.Targets(known, [Peer("n2", true), Peer("n3", true, "192.0.2.3")], "192.0.2.1"));
        Assert.Equal([("192.0.2.3", 6379)], StrayMasters.Targets(known, [], "192.0.2.2")); // our own address is never a target
    }

    [Fact]
    public void A_peer_absent_from_the_cluster_for_ForgetAfter_has_left_for_good_and_is_no_longer_swept()
    {
        IReadOnlyDictionary<string, KnownRedis> known = new Dictionary<string, KnownRedis>();
        known = StrayMasters.Remember(known, [Peer("n2", true), Peer("n3", true, "192.0.2.3")], Now);
        // n2 leaves; n3 stays a member (unreachable for a while, then back).
        var almost = Now + StrayMasters.ForgetAfter - TimeSpan.FromSeconds(1);
        known = StrayMasters.Remember(known, [Peer("n3", false, "192.0.2.3")], almost);
        Assert.Equal([("192.0.2.2", 6379), ("192.0.2.3", 6379)], StrayMasters.Targets(known, [Peer("n3", false, "192.0.2.3")], "192.0.2.1"));
        known = StrayMasters.Remember(known, [Peer("n3", true, "192.0.2.3")], Now + StrayMasters.ForgetAfter);
        Assert.Equal(["n3"], known.Keys);
        Assert.Empty(StrayMasters.Targets(known, [], "192.0.2.3")); // n2 forgotten, n3 is ourselves here
        // It comes back: remembered again.
        known = StrayMasters.Remember(known, [Peer("n2", true)], Now + StrayMasters.ForgetAfter + TimeSpan.FromSeconds(1));
        Assert.Equal(["n2", "n3"], known.Keys.Order());
    }

    [Fact]
    public void Remembered_peers_are_bounded_the_longest_absent_forgotten_first()
    {
        IReadOnlyDictionary<string, KnownRedis> known = new Dictionary<string, KnownRedis>();
        for (var i = 0; i < StrayMasters.MaxKnown + 5; i++)
            known = StrayMasters.Remember(known, [Peer($"p{i:00}", true, $"198.51.100.{i + 1}")], Now + TimeSpan.FromSeconds(i));
        Assert.Equal(StrayMasters.MaxKnown, known.Count);
        Assert.DoesNotContain("p00", known.Keys);
        Assert.Contains($"p{StrayMasters.MaxKnown + 4:00}", known.Keys);
    }

    [Fact]
    public void A_master_already_followed_is_observed_about_once_a_second_otherwise_on_every_check()
    {
        var every = MasterObservation.Every(TimeSpan.FromMilliseconds(200));
        Assert.Equal(5, every);
        Assert.Equal(1, MasterObservation.Every(TimeSpan.FromSeconds(2)));
        var following = FakeReplicaOf("192.0.2.1");
        var master = Master(Link("192.0.2.2"));
        Assert.True(MasterObservation.Due(Old, following, null, 0, every));            // not seen as master yet
        Assert.True(MasterObservation.Due(Old, Master(), master, 0, every));          // not following yet
        Assert.False(MasterObservation.Due(Old, following, master, 0, every));
        Assert.True(MasterObservation.Due(Old, following, master, every - 1, every));
    }

    private static ReplicationFacts FakeReplicaOf(string host) => new(RedisRole.Replica, host, 6379, true, 100, 100, "r", 0, "no-failover");

    [Fact]
    public void Only_a_new_role_master_or_quorum_verdict_supersedes_a_directive()
    {
        var a = new RoleDirective(DesiredRole.Replica, Old, Old, "following");
        Assert.False(a.Supersedes(a with { Cause = "other words" }));
        Assert.False(a.Supersedes(a with { PreviousMasterAlive = true }));
        Assert.True((a with { Role = DesiredRole.Master }).Supersedes(a));
        Assert.True((a with { Master = IPAddress.Parse("192.0.2.3") }).Supersedes(a));
        Assert.True((a with { NoQuorum = "no quorum" }).Supersedes(a));
        Assert.False((a with { NoQuorum = "no quorum: 1 of 3" }).Supersedes(a with { NoQuorum = "no quorum: 0 of 3" }));
    }

    [Fact]
    public void The_operators_min_replicas_is_given_back_when_enough_replicas_are_online_or_on_a_replica()
    {
        var op = new OperatorMinReplicas(2, 10);
        var master = Master();
        var one = new ReplicaLink("192.0.2.1", 6379, true, 100, 0);
        var syncing = new ReplicaLink("192.0.2.3", 6379, false, 0, 0);
        Assert.True(op.LowerAtPromotion);
        Assert.False(new OperatorMinReplicas(0, 10).LowerAtPromotion);
        Assert.False(op.RestoreNow(master));
        Assert.False(op.RestoreNow(master with { Replicas = [one, syncing] }));
        Assert.True(op.RestoreNow(master with { Replicas = [one, one with { Ip = "192.0.2.3" }] }));
        Assert.True(op.RestoreNow(master with { Role = RedisRole.Replica, MasterHost = "192.0.2.1", MasterPort = 6379 }));
    }
}
