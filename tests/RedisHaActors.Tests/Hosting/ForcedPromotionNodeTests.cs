using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Configuration;
using RedisHaActors.Control;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;
using RedisHaActors.Status;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Hosting;

/// <summary>
/// Two whole nodes joined by an in-memory link and fake Redis servers: n2's Redis never completed its first sync, n1
/// dies, n2 waits; <see cref="ForcePromotion"/> takes it over, once, and says what it overrode and the loss.
/// </summary>
public sealed class ForcedPromotionNodeTests : TestKit
{
    private readonly FakeLink _link = new();
    private readonly FakeRedisNode _redis1 = new("192.0.2.1:6379");
    private readonly FakeRedisNode _redis2 = new("192.0.2.2:6379");

    private (IActorRef Node, FakeVirtualAddresses Vips) StartNode(int index, byte priority) =>
        FakePair.StartNode(Sys, _link, _redis1, _redis2, index, priority, preempt: false);

    /// <summary>n1 master, n2 in its first sync from it; n1's node and Redis die; n2 has not taken over.</summary>
    private (IActorRef Node2, FakeVirtualAddresses Vips2) MasterDiesDuringTheFirstSync()
    {
        _redis1.Facts = FakeRedisNode.Master(5000);
        // In its first sync from n1: the link down since Redis started.
        _redis2.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 0) with { MasterLinkUp = false, ReplicaReplOffset = 0, NeverSynced = true };
        var (node1, vips1) = StartNode(1, 200);
        AwaitCondition(() => vips1.Held, TimeSpan.FromSeconds(10));
        var (node2, vips2) = StartNode(2, 190);
        // n2 hears n1 and has read its Redis' offset (the loss estimate's base).
        AwaitAssert(() =>
        {
            var refused = Promote(node2, acceptLoss: true);
            Assert.False(refused.Done);
            Assert.StartsWith("refused: this node hears master 192.0.2.1", refused.Message);
            var status = Status(node2);
            Assert.Equal(5000, status.RoleFlip?.LastKnownMasterOffset);
            Assert.Contains("has not completed a sync with 192.0.2.1:6379", status.DataRefusal);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        // n1's node and Redis die together.
        _redis1.Down = true;
        _redis1.DownRefuses = true;
        Sys.Stop(node1);
        AwaitCondition(() => !vips1.Held, TimeSpan.FromSeconds(5));
        // n2 never takes over by itself.
        ExpectNoMsg(TimeSpan.FromSeconds(1));
        Assert.False(vips2.Held);
        Assert.Equal(RedisRole.Replica, _redis2.Facts.Role);
        Assert.DoesNotContain("REPLICAOF NO ONE", _redis2.Commands);
        return (node2, vips2);
    }

    private static ControlResult Promote(IActorRef node, bool acceptLoss) =>
        node.Ask<ControlResult>(new ForcePromotion(acceptLoss), TimeSpan.FromSeconds(20)).Result;

    private static NodeStatus Status(IActorRef node) => node.Ask<NodeStatus>(GetNodeStatus.Instance, TimeSpan.FromSeconds(3)).Result;

    [Fact]
    public void A_never_synced_replica_waits_after_its_master_died_and_takes_over_only_when_forced()
    {
        var (node2, vips2) = MasterDiesDuringTheFirstSync();

        var dry = Promote(node2, acceptLoss: false);
        Assert.False(dry.Done);
        Assert.StartsWith("refused without --accept-loss: nothing changed; a forced promotion would override 'its Redis has not completed a sync", dry.Message);
        Assert.Contains("estimated loss 5000 bytes (master offset 5000 as last seen, own 0)", dry.Message);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.False(vips2.Held);

        var forced = Promote(node2, acceptLoss: true);
        Assert.True(forced.Done, forced.Message);
        Assert.StartsWith("operator forced promotion: overriding 'its Redis has not completed a sync with 192.0.2.1:6379", forced.Message);
        Assert.Contains("estimated loss 5000 bytes (master offset 5000 as last seen, own 0); done: this node holds the VIP and its Redis is master", forced.Message);
        Assert.True(vips2.Held);
        Assert.Equal(RedisRole.Master, _redis2.Facts.Role);
        Assert.Contains("REPLICAOF NO ONE", _redis2.Commands);

        // Once, for this takeover: the override has ended and nothing holds the master back.
        var after = Status(node2);
        Assert.Null(after.ForcedPromotion);
        Assert.Null(after.DataRefusal);
        Assert.StartsWith("refused: this node holds the VIP already", Promote(node2, acceptLoss: true).Message);
    }

    [Fact]
    public void A_forced_promotion_that_cannot_promote_fails_within_its_window_and_the_data_rules_hold_again()
    {
        var (node2, vips2) = MasterDiesDuringTheFirstSync();
        // REPLICAOF NO ONE times out on n2's Redis, every time.
        _redis2.Failing["REPLICAOF"] = true;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var failed = Promote(node2, acceptLoss: true);
        Assert.False(failed.Done);
        Assert.StartsWith("operator forced promotion: overriding 'its Redis has not completed a sync", failed.Message);
        Assert.Contains("; failed: not master within", failed.Message);
        Assert.Contains("the override ended, the data rules hold again", failed.Message);
        // The window: 5 x 30 ms adverts + 4.5 s fence + 2 s sync-timeout + 2 x 60 ms checks + 2 s.
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15));
        AwaitAssert(() =>
        {
            Assert.False(vips2.Held);
            var status = Status(node2);
            Assert.Null(status.ForcedPromotion);
            Assert.Contains("has not completed a sync with 192.0.2.1:6379", status.DataRefusal);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        Assert.Equal(RedisRole.Replica, _redis2.Facts.Role);
    }
}
