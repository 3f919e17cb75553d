using RedisHaActors.Primitives;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Hosting;

/// <summary>
/// Two whole nodes (supervisor, VRRP, monitor, role flipper) in one actor system, joined by an
/// in-memory link and fake Redis servers: the election and the Redis roles follow each other.
/// </summary>
public sealed class HaNodePairTests : TestKit
{
    private readonly FakeLink _link = new();
    private readonly FakeRedisNode _redis1 = new("192.0.2.1:6379");
    private readonly FakeRedisNode _redis2 = new("192.0.2.2:6379");

    private (IActorRef Node, FakeVirtualAddresses Vips) StartNode(int index, byte priority, bool preempt) =>
        FakePair.StartNode(Sys, _link, _redis1, _redis2, index, priority, preempt);

    [Fact]
    public void The_VIP_holder_is_the_Redis_master_and_it_moves_when_that_Redis_dies()
    {
        _redis1.Facts = FakeRedisNode.Master(100);
        _redis2.Facts = FakeRedisNode.Master(0); // a fresh second Redis, independent at first
        var (_, vips1) = StartNode(1, 200, preempt: false);
        // With preempt off the first eligible node keeps the VIP, so start n2 once n1 holds it
        // (which Redis should win a cold boot race is a later issue's concern).
        AwaitCondition(() => vips1.Held, TimeSpan.FromSeconds(10));
        var (_, vips2) = StartNode(2, 190, preempt: false);

        AwaitAssert(() =>
        {
            Assert.True(vips1.Held);
            Assert.False(vips2.Held);
            Assert.Equal(RedisRole.Master, _redis1.Facts.Role);
            Assert.Equal(RedisRole.Replica, _redis2.Facts.Role);
            Assert.Equal("192.0.2.1", _redis2.Facts.MasterHost);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        _redis1.Down = true;

        AwaitAssert(() =>
        {
            Assert.False(vips1.Held);
            Assert.True(vips2.Held);
            Assert.Equal(RedisRole.Master, _redis2.Facts.Role);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Contains("REPLICAOF NO ONE", _redis2.Commands);

        // The old master's Redis comes back (as an empty master): it becomes a replica of n2 and,
        // with preempt off, n1 does not take the VIP back.
        _redis1.Facts = FakeRedisNode.Master(0);
        _redis1.Down = false;
        AwaitAssert(() =>
        {
            Assert.Equal(RedisRole.Replica, _redis1.Facts.Role);
            Assert.Equal("192.0.2.2", _redis1.Facts.MasterHost);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.True(vips2.Held);
        Assert.False(vips1.Held);
    }
}

/// <summary>A node whose VRRP actor cannot start gives up after the supervisor's retries and exits.</summary>
public sealed class HaNodeGiveUpTests : TestKit
{
    [Fact]
    public async Task A_child_that_keeps_failing_is_restarted_with_backoff_then_shuts_the_node_down_with_exit_code_4()
    {
        var factory = new FakeRedisFactory();
        var starts = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        var clock = new StopwatchClock();
        var settings = new HaSettings(new NodeSettings("n1", NodeRole.Data), ActorTestSettings.Vrrp(), ActorTestSettings.Redis(), HoconLoader.Reference);
        var io = new NodeIo(() =>
        {
            starts.Enqueue(clock.Now);
            throw new RedisHaActors.Vrrp.Net.VrrpSocketException("interface eth0 does not exist");
        }, () => new FakeVirtualAddresses(), factory, clock);
        var policy = new ChildRestarts(TimeSpan.FromMinutes(1), 4, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300));
        Sys.ActorOf(HaNodeActor.Props(settings, io, "192.0.2.1", restarts: policy), "n1");
        await Sys.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.IsType<NodeFailedReason>(CoordinatedShutdown.Get(Sys).ShutdownReason);
        Assert.Equal(4, CoordinatedShutdown.Get(Sys).ShutdownReason!.ExitCode);
        // The first start and 4 restarts (the 5th failure gives up); the gaps back off: 0, 100, 200, 300 ms.
        var t = starts.ToArray();
        Assert.Equal(5, t.Length);
        Assert.True(t[2] - t[1] >= TimeSpan.FromMilliseconds(90), $"second restart after {(t[2] - t[1]).TotalMilliseconds} ms");
        Assert.True(t[4] - t[3] >= TimeSpan.FromMilliseconds(280), $"fourth restart after {(t[4] - t[3]).TotalMilliseconds} ms");
    }
}
