using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Hosting;

/// <summary>The whole node with unicast peers: a spoofed advert from another host moves nothing and reaches no Redis.</summary>
public sealed class NodeAdvertSourceTests : TestKit
{
    private static readonly IPAddress Stranger = IPAddress.Parse("192.0.2.250");

    [Fact]
    public void A_node_with_unicast_peers_drops_a_strangers_priority_254_adverts_keeps_the_VIP_and_never_connects_to_it()
    {
        var link = new FakeLink();
        var redis = new FakeRedisFactory();
        var vips = new FakeVirtualAddresses();
        redis.Get("127.0.0.1").Facts = FakeRedisNode.Master(100);
        var transport = link.Attach("192.0.2.1");
        var vrrp = ActorTestSettings.Vrrp(200, advertMs: 30) with { UnicastPeers = [IPAddress.Parse("192.0.2.2")] };
        var settings = new HaSettings(new NodeSettings("n1", NodeRole.Data), vrrp, ActorTestSettings.Redis(checkMs: 30), HoconLoader.Reference);
        var node = Sys.ActorOf(HaNodeActor.Props(settings, new NodeIo(() => transport, () => vips, redis, new StopwatchClock()), "192.0.2.1"), "n1");
        AwaitCondition(() => vips.Held, TimeSpan.FromSeconds(10));

        var advert = Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 254, 3, [IPAddress.Parse("192.0.2.100")]), Stranger, VrrpCodec.MulticastGroup),
            Stranger, VrrpCodec.MulticastGroup);
        for (var i = 0; i < 10; i++)
        {
            transport.Inject(advert);
            Thread.Sleep(30);
        }
        AwaitAssert(() => Assert.Equal(10, Status(node).Drops.GetValueOrDefault(DropReason.UnknownSource)), TimeSpan.FromSeconds(3));
        Thread.Sleep(300); // ten check intervals: time for a probe of the stranger's Redis, were one started
        Assert.Equal(VrrpState.Master, Status(node).State);
        Assert.True(vips.Held);
        Assert.DoesNotContain(redis.Nodes.Keys, k => k.StartsWith("192.0.2.250", StringComparison.Ordinal));
    }

    private static VrrpStatus Status(IActorRef node) => node.Ask<VrrpStatus>(GetVrrpStatus.Instance, TimeSpan.FromSeconds(2)).Result;
}
