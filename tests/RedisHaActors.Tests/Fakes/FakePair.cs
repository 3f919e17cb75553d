using Akka.Actor;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;

namespace RedisHaActors.Tests.Fakes;

/// <summary>Two whole nodes in one actor system, joined by an in-memory link, each with a fake Redis.</summary>
internal static class FakePair
{
    /// <summary>
    /// Starts node n<paramref name="index"/> (1 or 2) at 192.0.2.index with 30 ms adverts and checks: it sees its own Redis
    /// on loopback and the peer's on the peer's address. <paramref name="maxLoss"/>: its <c>redis-ha.redis.max-loss</c>, bytes.
    /// </summary>
    public static (IActorRef Node, FakeVirtualAddresses Vips) StartNode(ActorSystem system, FakeLink link, FakeRedisNode redis1, FakeRedisNode redis2,
        int index, byte priority, bool preempt, long? maxLoss = null)
    {
        var address = $"192.0.2.{index}";
        var factory = new FakeRedisFactory();
        factory.Nodes["127.0.0.1:6379"] = index == 1 ? redis1 : redis2;
        factory.Nodes["192.0.2.1:6379"] = redis1;
        factory.Nodes["192.0.2.2:6379"] = redis2;
        var vips = new FakeVirtualAddresses();
        var transport = link.Attach(address);
        var settings = new HaSettings(
            new NodeSettings($"n{index}", NodeRole.Data),
            ActorTestSettings.Vrrp(priority, advertMs: 30, preempt: preempt),
            ActorTestSettings.Redis(checkMs: 30) with { MaxLoss = maxLoss },
            HoconLoader.Reference);
        var io = new NodeIo(() => transport, () => vips, factory, new StopwatchClock());
        return (system.ActorOf(HaNodeActor.Props(settings, io, address), $"n{index}"), vips);
    }
}
