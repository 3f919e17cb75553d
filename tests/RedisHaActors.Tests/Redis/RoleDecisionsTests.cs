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

    private static ReplicationFacts Master(int onlineReplicas) =>
        new ReplicationFacts(RedisRole.Master, null, null, false, 100, 0, "r", onlineReplicas, "no-failover", 0, 5) with { OnlineReplicas = onlineReplicas };

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
        Assert.Equal(TimeSpan.FromSeconds(3.5), MasterFence.SelfFenceTime);
    }

    [Theory]
    [InlineData(1, true, 1)]   // an online replica on a reachable peer: fenced
    [InlineData(0, true, 0)]   // no online replica: writes must not wait for one
    [InlineData(1, false, 0)]  // the majority sees the replica's node gone
    public void Min_replicas_is_wanted_only_while_a_reachable_peer_has_an_online_replica(int online, bool reachable, int expected)
    {
        Assert.Equal(expected, MasterFence.Wanted(Master(online), [Peer("n2", reachable)]));
        Assert.Equal(0, MasterFence.Wanted(Master(online), []));
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
        IReadOnlyDictionary<string, (string Host, int Port)> known = new Dictionary<string, (string Host, int Port)>();
        known = StrayMasters.Remember(known, [Peer("n2", true), Peer("n3", true, "192.0.2.3"), Peer("n4", true, "")]);
        Assert.Equal(["n2", "n3"], known.Keys.Order());
        // n2's node left the cluster: it is no longer gossiped, but its Redis is still remembered.
        Assert.Equal([("192.0.2.2", 6379)], StrayMasters.Targets(known, [Peer("n3", true, "192.0.2.3")], "192.0.2.1"));
        Assert.Equal([("192.0.2.2", 6379), ("192.0.2.3", 6379)], StrayMasters.Targets(known, [Peer("n3", false, "192.0.2.3")], "192.0.2.1"));
        Assert.Empty(StrayMasters.Targets(known, [Peer("n2", true), Peer("n3", true, "192.0.2.3")], "192.0.2.1"));
        Assert.Equal([("192.0.2.3", 6379)], StrayMasters.Targets(known, [], "192.0.2.2")); // our own address is never a target
        Assert.Same(known, StrayMasters.Remember(known, [Peer("n2", false)])); // nothing new: same map
    }

    [Fact]
    public void A_master_already_followed_is_observed_about_once_a_second_otherwise_on_every_check()
    {
        var every = MasterObservation.Every(TimeSpan.FromMilliseconds(200));
        Assert.Equal(5, every);
        Assert.Equal(1, MasterObservation.Every(TimeSpan.FromSeconds(2)));
        var following = FakeReplicaOf("192.0.2.1");
        var master = Master(1);
        Assert.True(MasterObservation.Due(Old, following, null, 0, every));            // not seen as master yet
        Assert.True(MasterObservation.Due(Old, Master(0), master, 0, every));          // not following yet
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
}
