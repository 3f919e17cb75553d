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
/// A node whose parts fail comes back to full function by itself: a re-created child gets its inputs
/// at once (not on the next outside change), and a supervisor that cannot start ends the process.
/// </summary>
public sealed class NodeRecoveryTests : TestKit
{
    private readonly FakeLink _link = new();
    private readonly FakeRedisFactory _redis = new();
    private readonly FakeVirtualAddresses _vips = new();

    private IActorRef StartNode()
    {
        _redis.Get("127.0.0.1").Facts = FakeRedisNode.Master(100);
        var transport = _link.Attach("192.0.2.1");
        var settings = new HaSettings(new NodeSettings("n1", NodeRole.Data), ActorTestSettings.Vrrp(200, advertMs: 30),
            ActorTestSettings.Redis(checkMs: 30), HoconLoader.Reference);
        var io = new NodeIo(() => transport, () => _vips, _redis, new StopwatchClock());
        var node = Sys.ActorOf(HaNodeActor.Props(settings, io, "192.0.2.1"), "n1");
        AwaitCondition(() => _vips.Held, TimeSpan.FromSeconds(10));
        return node;
    }

    private VrrpStatus Vrrp(IActorRef node) => node.Ask<VrrpStatus>(GetVrrpStatus.Instance, TimeSpan.FromSeconds(2)).Result;

    [Fact]
    public void A_recreated_VRRP_actor_is_eligible_at_once_and_takes_the_VIP_again_without_a_health_change()
    {
        var node = StartNode();
        Sys.ActorSelection("/user/n1/vrrp").Tell(Kill.Instance);
        // Redis stays healthy throughout: nothing outside changes, yet the re-created actor (which
        // released the VIP on its way out and again at its start) is master again within a
        // Master_Down_Interval (about 0.1 s here).
        AwaitAssert(() =>
        {
            Assert.Equal(2, _vips.Operations.Count(o => o == "acquire"));
            Assert.True(_vips.Held);
            Assert.Equal(VrrpState.Master, Vrrp(node).State);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_recreated_role_flipper_knows_the_VRRP_state_at_once()
    {
        StartNode();
        Sys.ActorSelection("/user/n1/role-flip").Tell(Kill.Instance);
        AwaitAssert(() =>
        {
            var status = Sys.ActorSelection("/user/n1/role-flip").Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance, TimeSpan.FromMilliseconds(500)).Result;
            Assert.Equal(DesiredRole.Master, status.DesiredRole);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        // And the VIP never moved: VRRP did not change.
        Assert.True(_vips.Held);
        Assert.Equal(1, _vips.Operations.Count(o => o == "acquire"));
    }

    [Fact]
    public async Task A_supervisor_whose_start_fails_ends_the_process_with_exit_code_4()
    {
        var factory = new FailingRedisFactory();
        var settings = new HaSettings(new NodeSettings("n1", NodeRole.Data), ActorTestSettings.Vrrp(), ActorTestSettings.Redis(), HoconLoader.Reference);
        var io = new NodeIo(() => _link.Attach("192.0.2.1"), () => _vips, factory, new StopwatchClock());
        var node = Sys.ActorOf(HaNodeActor.Props(settings, io, "192.0.2.1"), "ha-node");
        Sys.ActorOf(NodeWatcher.Props(node), "ha-node-watcher");
        await Sys.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(20)); // throws if the node kept running without its supervisor
        Assert.IsType<NodeFailedReason>(CoordinatedShutdown.Get(Sys).ShutdownReason);
        Assert.Equal(4, CoordinatedShutdown.Get(Sys).ShutdownReason!.ExitCode);
    }

    private sealed class FailingRedisFactory : IRedisNodeFactory
    {
        public IRedisNode Create(string host, int port) => throw new InvalidOperationException("no Redis client (test)");
    }
}
