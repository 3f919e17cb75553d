using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>Adverts count only from known peers (<see cref="AdvertSources"/>): the rule, the drop, the guarded boot.</summary>
public sealed class VrrpAdvertSourceTests : TestKit
{
    private static readonly IPAddress Self = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Peer = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress Stranger = IPAddress.Parse("192.0.2.250");

    public VrrpAdvertSourceTests() => IgnoreMessages<VrrpLeaseRenewed>();

    private static VrrpSettings Unicast(params IPAddress[] peers) => ActorTestSettings.Vrrp(100) with { UnicastPeers = peers };

    private static ClusterGuardSettings Guard(params string[] voterHosts) =>
        new(voterHosts.Select(h => Address.Parse($"akka.tcp://redis-ha@{h}:4053")).ToArray(), "192.0.2.1", 4053, TwoVoterMode.Quorum);

    private static byte[] Advert(byte priority, IPAddress source) =>
        Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, priority, 2, [IPAddress.Parse("192.0.2.100")]), source, VrrpCodec.MulticastGroup),
            source, VrrpCodec.MulticastGroup);

    [Fact]
    public void Without_unicast_peers_or_the_guard_every_source_is_accepted_as_today()
    {
        var sources = AdvertSources.From(ActorTestSettings.Vrrp(), null, [Peer]);
        Assert.False(sources.Filtered);
        Assert.True(sources.Accepts(Stranger));
        Assert.Same(AdvertSources.Unfiltered, AdvertSources.Initial(ActorTestSettings.Vrrp(), guarded: false));
        Assert.False(AdvertSources.From(ActorTestSettings.Vrrp(), Guard(), []).Filtered); // no voters = guard off
    }

    [Fact]
    public void With_unicast_peers_only_the_peers_are_accepted_and_gossip_is_ignored_with_the_guard_off()
    {
        var sources = AdvertSources.From(Unicast(Peer), null, [Stranger]);
        Assert.True(sources.Accepts(Peer));
        Assert.False(sources.Accepts(Stranger));
        Assert.False(sources.Accepts(Self));
        Assert.Equal(sources, AdvertSources.Initial(Unicast(Peer), guarded: false));
    }

    [Fact]
    public void With_the_guard_the_voters_hosts_and_their_gossiped_VRRP_addresses_are_accepted_host_names_only_once_gossiped()
    {
        var sources = AdvertSources.From(Unicast(IPAddress.Parse("192.0.2.9")), Guard("192.0.2.1", "192.0.2.2", "node3.example"), [IPAddress.Parse("192.0.2.3")]);
        Assert.Equal(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.9"], sources.Allowed!.Select(a => a.ToString()).Order());
        Assert.False(sources.Accepts(Stranger));
        Assert.Equal("192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.9", sources.ToString());
    }

    [Fact]
    public void A_guarded_node_without_unicast_peers_knows_nobody_until_the_supervisor_tells_it()
    {
        var initial = AdvertSources.Initial(ActorTestSettings.Vrrp(), guarded: true);
        Assert.True(initial.Filtered);
        Assert.False(initial.Accepts(Peer));
        Assert.Equal("none yet", initial.ToString());
    }

    [Fact]
    public void Only_configured_voters_gossiped_VRRP_addresses_are_remembered_and_they_outlive_a_peers_absence()
    {
        static PeerView View(string name, string host, string vrrp, PeerRole role = PeerRole.Data) =>
            new(new PeerState(name, role, $"akka.tcp://redis-ha@{host}:4053", vrrp, host, 6379, PeerVrrpState.Backup, 100, 0, PeerRedisRole.Replica, 1), true);
        var voters = Guard("192.0.2.1", "192.0.2.2", "192.0.2.3").Voters;
        IReadOnlyDictionary<string, IPAddress> none = new Dictionary<string, IPAddress>();
        var known = GossipMapping.VoterVrrpAddresses(none, voters,
            [View("n2", "192.0.2.2", "10.0.0.2"), View("rogue", "192.0.2.250", "192.0.2.250"), View("w", "192.0.2.3", "", PeerRole.Witness)]);
        Assert.Equal(["10.0.0.2"], known.Values.Select(a => a.ToString()));
        Assert.Same(known, GossipMapping.VoterVrrpAddresses(known, voters, []));                          // n2 away: still known
        Assert.Same(known, GossipMapping.VoterVrrpAddresses(known, voters, [View("n2", "192.0.2.2", "10.0.0.2")]));
        var moved = GossipMapping.VoterVrrpAddresses(known, voters, [View("n2", "192.0.2.2", "10.0.0.22")]);
        Assert.Equal(["10.0.0.22"], moved.Values.Select(a => a.ToString()));                               // replaced, not added
    }

    private (IActorRef Vrrp, FakeTransport Transport, FakeVirtualAddresses Vips) Start(VrrpSettings settings, bool guarded = false)
    {
        var transport = new FakeTransport(Self);
        var vips = new FakeVirtualAddresses();
        var vrrp = Sys.ActorOf(VrrpActor.Props(settings, () => transport, () => vips, TestActor, new StopwatchClock(), guarded));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Backup);
        return (vrrp, transport, vips);
    }

    private VrrpStatus Status(IActorRef vrrp)
    {
        var probe = CreateTestProbe();
        vrrp.Tell(GetVrrpStatus.Instance, probe);
        return probe.ExpectMsg<VrrpStatus>();
    }

    [Fact]
    public void A_valid_priority_254_advert_from_a_host_that_is_not_a_peer_is_dropped_and_counted_and_the_master_stays()
    {
        var (vrrp, transport, vips) = Start(Unicast(Peer));
        vrrp.Tell(new HealthChanged(100, true, "ok"));
        Assert.Equal(VrrpState.Master, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        for (var i = 0; i < 5; i++) transport.Inject(Advert(254, Stranger));
        AwaitAssert(() => Assert.Equal(5, Status(vrrp).Drops.GetValueOrDefault(DropReason.UnknownSource)), TimeSpan.FromSeconds(2));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(VrrpState.Master, Status(vrrp).State);
        Assert.True(vips.Held);
        // The same advert from the configured peer is heard: the filter is not a blanket one.
        transport.Inject(Advert(254, Peer));
        var stepped = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(2));
        Assert.Equal(VrrpState.Backup, stepped.State);
        Assert.Equal(Peer, stepped.Master);
    }

    [Fact]
    public void Guarded_boot_before_the_first_gossip_hears_no_unknown_peer_waits_for_quorum_then_takes_over_and_hears_the_peer_once_gossiped()
    {
        // Guard on, no unicast peers, no voter host matching the peer: until gossip names it, the peer is unknown.
        var (vrrp, transport, _) = Start(ActorTestSettings.Vrrp(100), guarded: true);
        vrrp.Tell(new HealthChanged(100, true, "ok"));
        // The peer advertises every 20 ms throughout (bounded: at most 10 s).
        var stop = false;
        var advertising = new Thread(() =>
        {
            for (var i = 0; i < 500 && !Volatile.Read(ref stop); i++) { transport.Inject(Advert(200, Peer)); Thread.Sleep(20); }
        }) { IsBackground = true };
        advertising.Start();
        try
        {
            // No quorum: hearing no one does not make it master (the guard blocks it, not the filter).
            ExpectNoMsg(TimeSpan.FromMilliseconds(400));
            Assert.True(Status(vrrp).Drops.GetValueOrDefault(DropReason.UnknownSource) > 0);
            // Quorum: it hears no known master, so it is not deadlocked, it takes over after Master_Down_Interval.
            vrrp.Tell(new QuorumVerdict(true, "sees 2 of 3 voters"));
            var up = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3));
            Assert.Equal(VrrpState.Master, up.State);
            Assert.Contains("no master heard", up.Cause);
            // The gossip names the peer: its higher priority counts again (RFC 5798 §6.4.3), one master.
            vrrp.Tell(new AdvertSourcesChanged(AdvertSources.From(ActorTestSettings.Vrrp(), Guard("192.0.2.1"), [Peer])));
            var down = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3));
            Assert.Equal(VrrpState.Backup, down.State);
            Assert.Equal(Peer, down.Master);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            advertising.Join(TimeSpan.FromSeconds(2));
        }
    }
}
