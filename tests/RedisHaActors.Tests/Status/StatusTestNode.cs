using RedisHaActors.Primitives;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Status;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Status;

/// <summary>One whole node on fakes (as in <see cref="HaNodePairTests"/>), optionally with its status endpoint.</summary>
internal sealed class StatusTestNode
{
    public FakeTransport Transport { get; } = new(IPAddress.Parse("192.0.2.1"));

    public FakeVirtualAddresses Vips { get; } = new();

    public FakeRedisFactory Redis { get; } = new();

    /// <summary>The node's own Redis (127.0.0.1:6379 as the node sees it).</summary>
    public FakeRedisNode LocalRedis => Redis.Get("127.0.0.1");

    public IActorRef Start(ActorSystem system, IPEndPoint? listen = null, string name = "n1", string redisPassword = "", Secret? token = null)
    {
        var settings = new HaSettings(
            new NodeSettings(name, NodeRole.Data),
            ActorTestSettings.Vrrp(200, advertMs: 30),
            ActorTestSettings.Redis(checkMs: 30) with { Password = redisPassword },
            HoconLoader.Reference,
            new StatusSettings(listen, "", token));
        var io = new NodeIo(() => Transport, () => Vips, Redis, new StopwatchClock());
        return system.ActorOf(HaNodeActor.Props(settings, io, "192.0.2.1"), name);
    }

    public static NodeStatus Ask(IActorRef node) =>
        node.Ask<NodeStatus>(GetNodeStatus.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    /// <summary>A loopback port that was free a moment ago (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
