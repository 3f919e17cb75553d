using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Hosting;

/// <summary>
/// A node held back by a rule about its Redis' data (<see cref="DataPreference"/>) stays held while its own check goes
/// unanswered within the fall window: no answer says nothing about the data. A lab run (LineageLabTests) had a
/// never-synced replica take the VIP 0.66 s after one unanswered check, its master long dead.
/// </summary>
public sealed class HeldBackNodeTests : TestKit
{
    [Fact]
    public void A_never_synced_replica_stays_held_back_while_its_check_goes_unanswered()
    {
        var (link, redis, vips) = (new FakeLink(), new FakeRedisFactory(), new FakeVirtualAddresses());
        // A replica of a master that is gone and never completed a sync; no advert is heard (Master_Down is ~0.1 s here).
        var local = redis.Get("127.0.0.1");
        local.Facts = FakeRedisNode.ReplicaOf("192.0.2.9", 6379, 0) with { MasterLinkUp = false, NeverSynced = true };
        redis.Get("192.0.2.9").Down = true;
        // Checks every 100 ms and 6 failures allowed: unanswered for 0.4 s, it still counts as healthy.
        var settings = new HaSettings(new NodeSettings("n2", NodeRole.Data), ActorTestSettings.Vrrp(190, advertMs: 30),
            ActorTestSettings.Redis(checkMs: 100, fall: 6), HoconLoader.Reference);
        var node = Sys.ActorOf(HaNodeActor.Props(settings, new NodeIo(() => link.Attach("192.0.2.2"), () => vips, redis, new StopwatchClock()), "192.0.2.2"), "n2");
        AwaitAssert(() => Assert.Contains("master_link_down_since_seconds:-1", Status(node).IneligibleCause),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));

        local.Down = true;
        Thread.Sleep(400);
        local.Down = false;
        Thread.Sleep(300);

        Assert.DoesNotContain("acquire", vips.Operations);
        Assert.Equal(VrrpState.Backup, Status(node).State);
        Assert.DoesNotContain("REPLICAOF NO ONE", local.Commands);
    }

    [Fact]
    public void A_max_loss_refusal_is_warned_once_while_the_master_takes_writes_and_status_shows_the_latest_estimate()
    {
        // n1 is the master, 9,600 bytes ahead of n2 whose max-loss is 1,000: n2 is held back. Every check while n1 takes
        // writes changes the estimate; the rule is the same, so the log says it once (it was once a second in the lab).
        var (link, redis1, redis2) = (new FakeLink(), new FakeRedisNode("192.0.2.1:6379"), new FakeRedisNode("192.0.2.2:6379"));
        redis1.Facts = FakeRedisNode.Master(10_000);
        redis2.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var (_, vips1) = FakePair.StartNode(Sys, link, redis1, redis2, 1, 200, preempt: false);
        AwaitCondition(() => vips1.Held, TimeSpan.FromSeconds(10));
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings, typeof(Akka.Event.Warning));
        var (n2, _) = FakePair.StartNode(Sys, link, redis1, redis2, 2, 190, preempt: false, maxLoss: 1000);
        AwaitAssert(() => Assert.Contains("estimated loss 9600 bytes", Status(n2).IneligibleCause ?? ""),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));

        for (var offset = 11_000; offset <= 15_000; offset += 1000)
        {
            redis1.Facts = FakeRedisNode.Master(offset);
            var expected = $"estimated loss {offset - 400} bytes";
            AwaitAssert(() => Assert.Contains(expected, Status(n2).IneligibleCause), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
        }

        var refusals = warnings.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as Akka.Event.Warning)
            .Select(w => w?.Message?.ToString() ?? "").Where(t => t.Contains("above max-loss", StringComparison.Ordinal)).ToList();
        Assert.Single(refusals);
        Assert.Contains("estimated loss 9600 bytes", refusals[0]);
        Assert.Equal(VrrpState.Backup, Status(n2).State);
    }

    private static VrrpStatus Status(IActorRef node) => node.Ask<VrrpStatus>(GetVrrpStatus.Instance, TimeSpan.FromSeconds(2)).Result;
}
