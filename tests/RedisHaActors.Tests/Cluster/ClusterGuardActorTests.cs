using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using Xunit.Abstractions;
using AkkaCluster = Akka.Cluster.Cluster;
using MemberStatus = Akka.Cluster.MemberStatus;

namespace RedisHaActors.Tests.Cluster;

/// <summary>
/// <see cref="ClusterGuardActor"/> and <see cref="ClusterFormationActor"/> across three in-process
/// actor systems named <c>redis-ha</c> on 127.0.0.1, with the real failure detector and
/// split-brain resolver settings (<see cref="ClusterConfig.For"/>, so the embedded
/// <c>cluster.conf</c> applies). Partitions use Akka's throttler transport adapter
/// (<c>applied-adapters = [trttl]</c>, <see cref="SetThrottle"/> with <see cref="Blackhole"/>)
/// instead of the multi-node TestConductor, which is not served here. Each guard's listener is a
/// <see cref="TestProbe"/> of its own system; the tests track the latest <see cref="QuorumChanged"/>
/// and <see cref="PeersChanged"/> per node, so no notification is lost between assertions. Every
/// wait is bounded and every system is terminated in <see cref="Dispose"/>.
/// </summary>
public sealed class ClusterGuardActorTests : TestKit
{
    /// <summary>Longest wait for a cluster to form or a gossiped state to arrive.</summary>
    private static readonly TimeSpan FormWait = TimeSpan.FromSeconds(20);

    /// <summary>Longest wait for the failure detector's verdict (about 2 s here): well before the
    /// split-brain resolver's stable-after of 7 s, so the guard is shown to act on reachability.</summary>
    private static readonly TimeSpan DetectWait = TimeSpan.FromSeconds(6);

    private readonly List<Node> _nodes = [];
    private readonly ITestOutputHelper _output;

    public ClusterGuardActorTests(ITestOutputHelper output) : base(output: output) => _output = output;

    /// <summary>One actor system with its guard's listener and what the listener heard last.</summary>
    private sealed class Node(string name, ActorSystem system, TestProbe listener)
    {
        public string Name { get; } = name;
        public ActorSystem System { get; } = system;
        public TestProbe Listener { get; } = listener;
        public AkkaCluster Cluster => AkkaCluster.Get(System);
        public Address Address => Cluster.SelfAddress;
        public IActorRef? Guard { get; set; }
        public QuorumView? Quorum { get; private set; }
        public IReadOnlyList<PeerView> Peers { get; private set; } = [];

        public void Record(object message)
        {
            if (message is QuorumChanged q) Quorum = q.View;
            else if (message is PeersChanged p) Peers = p.Peers;
        }

        public PeerView? Peer(Node other) => Peers.FirstOrDefault(p => p.State.Name == other.Name);

        public override string ToString() =>
            $"{Name} ({Address}): quorum {Quorum}; peers [{string.Join(", ", Peers.Select(p => $"{p.State.Name} reachable={p.Reachable}"))}]";
    }

    [Fact]
    public void A_recreated_guard_tells_its_real_view_first_never_a_not_joined_one()
    {
        // Under the node supervisor a failed guard is re-created; had it told "not joined" first, a
        // master with quorum would step down and fence its Redis for nothing.
        var nodes = StartGuardedCluster();
        var a = nodes[0];
        AwaitListener(a, x => x.Quorum is { HasQuorum: true, ReachableVoters: 3 }, FormWait, "quorum with 3 reachable voters");
        Watch(a.Guard!);
        a.System.Stop(a.Guard!);
        var fresh = CreateTestProbe(a.System, "fresh-listener");
        var voters = nodes.Select(n => n.Address).ToArray();
        a.Guard = a.System.ActorOf(ClusterGuardActor.Props(new ClusterGuardSettings(voters, "127.0.0.1", a.Address.Port!.Value, TwoVoterMode.Quorum),
            fresh.Ref), "cluster-guard-2");
        var first = fresh.FishForMessage(m => m is QuorumChanged, FormWait);
        Assert.Equal(new QuorumView(true, 3, 3, "sees 3 of 3 voters"), ((QuorumChanged)first).View);
    }

    // ---- 1. joining and gossip ------------------------------------------------------------------

    [Fact]
    public void Three_joined_nodes_each_see_quorum_of_three_and_the_other_two_gossiped_states()
    {
        var nodes = StartGuardedCluster();
        foreach (var n in nodes)
        {
            AwaitListener(n, x => x.Quorum is { HasQuorum: true, ReachableVoters: 3, Voters: 3 }, FormWait, "quorum with 3 reachable voters");
            AwaitListener(n, x => OthersGossipedAndReachable(x, nodes), FormWait, "the other two nodes' gossiped states, reachable");
        }
        foreach (var n in nodes)
            foreach (var other in nodes.Where(o => o != n))
            {
                var peer = n.Peer(other)!;
                Assert.Equal(State(other), peer.State with { Incarnation = 0, ClusterUid = 0 });
                Assert.True(peer.State.Incarnation > 0, "the guard sets an incarnation");
                Assert.Equal(other.Cluster.SelfUniqueAddress.Uid, peer.State.ClusterUid);
            }
    }

    [Fact]
    public async Task Entries_of_a_non_voter_under_another_name_or_out_of_range_are_dropped_and_counted()
    {
        var nodes = StartGuardedCluster();
        var (a, c) = (nodes[0], nodes[2]);
        foreach (var n in nodes)
            AwaitListener(n, x => OthersGossipedAndReachable(x, nodes), FormWait, "the other two nodes' gossiped states, reachable");
        // A member writes forged entries straight into the replicated map: a master claim from an address that is
        // no voter, one under another node's name, and one with priority 900.
        var forged = State(c) with { VrrpState = PeerVrrpState.Master, Priority = 254, Incarnation = long.MaxValue / 2 };
        var key = new Akka.DistributedData.LWWDictionaryKey<string, string>("redis-ha-peers");
        var replicator = Akka.DistributedData.DistributedData.Get(c.System).Replicator;
        var self = c.Cluster.SelfUniqueAddress;
        replicator.Tell(Akka.DistributedData.Dsl.Update(key, Akka.DistributedData.LWWDictionary<string, string>.Empty,
            new Akka.DistributedData.WriteAll(TimeSpan.FromSeconds(5)), map => map
                .SetItem(self, "evil", (forged with { Name = "evil", ClusterAddress = "akka.trttl.tcp://redis-ha@127.0.0.1:1" }).ToJson())
                .SetItem(self, "fake-b", (forged with { Name = "b" }).ToJson())
                .SetItem(self, "high", (forged with { Name = "high", Priority = 900 }).ToJson())));
        var clock = Stopwatch.StartNew();
        GuardStatus status;
        do
        {
            Assert.True(clock.Elapsed < FormWait, "the three forged entries are counted");
            await Task.Delay(100);
            status = await a.Guard!.Ask<GuardStatus>(GetGuardStatus.Instance, TimeSpan.FromSeconds(3));
        }
        while (status.GossipDrops!.Values.Sum() < 3);
        Assert.Equal(1, status.GossipDrops[GossipDrop.NotVoter]);
        Assert.Equal(1, status.GossipDrops[GossipDrop.NameMismatch]);
        Assert.Equal(1, status.GossipDrops[GossipDrop.OutOfRange]);
        Assert.Null(status.TlsRefused);
        // Nothing of them reached the listener: two peers, both backups as they gossiped.
        Assert.Equal(["b", "c"], status.Peers.Select(p => p.State.Name));
        Assert.All(status.Peers, p => Assert.Equal(PeerVrrpState.Backup, p.State.VrrpState));
    }

    // ---- 2 and 3. partition through the throttler, then heal -----------------------------------

    [Fact]
    public void A_blackholed_node_loses_quorum_within_seconds_the_majority_keeps_it_and_it_regains_quorum_when_lifted()
    {
        var nodes = StartGuardedCluster();
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        foreach (var n in nodes)
        {
            AwaitListener(n, x => x.Quorum is { HasQuorum: true, ReachableVoters: 3 }, FormWait, "quorum with 3 reachable voters");
            AwaitListener(n, x => OthersGossipedAndReachable(x, nodes), FormWait, "the other two nodes' gossiped states, reachable");
        }

        // Cut A off from B and C, both directions, on both ends of each link.
        var cut = Stopwatch.StartNew();
        foreach (var other in new[] { b, c })
        {
            Throttle(a, other, Blackhole.Instance);
            Throttle(other, a, Blackhole.Instance);
        }

        AwaitListener(a, x => x.Quorum is { HasQuorum: false, ReachableVoters: 1 }, DetectWait, "quorum lost (sees only itself)");
        _output.WriteLine($"A lost quorum {cut.ElapsedMilliseconds} ms after the blackhole");
        foreach (var n in new[] { b, c })
        {
            AwaitListener(n, x => x.Quorum is { HasQuorum: true, ReachableVoters: 2 }, DetectWait, "quorum kept with 2 reachable voters");
            AwaitListener(n, x => x.Peer(a) is { Reachable: false }, DetectWait, "A gossiped as unreachable");
            var third = n == b ? c : b;
            Assert.True(n.Peer(third)?.Reachable, $"{n.Name} still reaches {third.Name}: {n}");
        }
        _output.WriteLine($"B and C saw A unreachable {cut.ElapsedMilliseconds} ms after the blackhole");
        // The guard acted on the failure detector, not on downing: nobody was removed.
        Assert.True(cut.Elapsed < TimeSpan.FromSeconds(7), $"verdicts took {cut.Elapsed}, the split-brain resolver's stable-after is 7 s");
        Assert.Equal(MemberStatus.Up, a.Cluster.SelfMember.Status);

        // Heal before the split-brain resolver downs A.
        foreach (var other in new[] { b, c })
        {
            Throttle(a, other, Unthrottled.Instance);
            Throttle(other, a, Unthrottled.Instance);
        }
        var healed = Stopwatch.StartNew();

        foreach (var n in nodes)
        {
            AwaitListener(n, x => x.Quorum is { HasQuorum: true, ReachableVoters: 3 }, FormWait, "quorum with 3 reachable voters after the heal");
            AwaitListener(n, x => OthersGossipedAndReachable(x, nodes), FormWait, "the other two nodes reachable after the heal");
        }
        _output.WriteLine($"all three back to quorum of 3 {healed.ElapsedMilliseconds} ms after the heal");
        // A stayed the same member all along (not downed and restarted).
        Assert.Equal(MemberStatus.Up, a.Cluster.SelfMember.Status);
        AwaitAssert(() => Assert.Equal(3, b.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up)), FormWait);
    }

    // ---- 3b. a restarted node's previous incarnation -------------------------------------------

    [Fact]
    public void A_restarted_nodes_previous_incarnation_is_not_believed_until_the_new_one_publishes()
    {
        // systemctl restart on the master: its old entry ("master, priority 200") stays in the map and
        // matches the new member by address; believed, the new master would step down (issue 11).
        var nodes = StartGuardedCluster();
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        var wasMaster = State(c) with { VrrpState = PeerVrrpState.Master, Priority = 200, RedisRole = PeerRedisRole.Master };
        c.Guard!.Tell(new PublishLocalState(wasMaster));
        AwaitListener(b, x => x.Peer(c) is { Reachable: true, State.VrrpState: PeerVrrpState.Master }, FormWait, "C gossiped as MASTER");

        // A clean stop: C leaves and is removed, as on SIGTERM.
        c.Cluster.Leave(c.Address);
        AwaitAssert(() => Assert.DoesNotContain(b.Cluster.State.Members, m => m.Address.Equals(c.Address)), FormWait, TimeSpan.FromMilliseconds(200));
        Shutdown(c.System, FormWait, verifySystemShutdown: true);
        AwaitListener(b, x => x.Peer(c) is null, FormWait, "C gone from the peers once removed");

        // The same host:port, a new incarnation (new uid); it has not published yet.
        var c2 = StartNode("c", ClusterConfig.For(new ClusterGuardSettings([], "127.0.0.1", c.Address.Port!.Value, TwoVoterMode.Quorum),
            NodeFile(throttler: true)));
        Assert.Equal(c.Address, c2.Address);
        var voters = new[] { a.Address, b.Address, c.Address };
        c2.Guard = c2.System.ActorOf(ClusterGuardActor.Props(new ClusterGuardSettings(voters, "127.0.0.1", c.Address.Port!.Value,
            TwoVoterMode.Quorum), c2.Listener.Ref), "cluster-guard");
        c2.Cluster.Join(a.Address);
        var newUid = c2.Cluster.SelfUniqueAddress;
        AwaitAssert(() => Assert.Contains(b.Cluster.State.Members, m => m.UniqueAddress.Equals(newUid) && m.Status == MemberStatus.Up),
            FormWait, TimeSpan.FromMilliseconds(100));

        // Several gossip rounds (500 ms) with the new member up: the old MASTER claim never shows.
        var quiet = Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromSeconds(3))
        {
            var message = b.Listener.ReceiveOne(TimeSpan.FromSeconds(3) - quiet.Elapsed);
            if (message is not null) b.Record(message);
            Assert.False(b.Peer(c2) is { State.VrrpState: PeerVrrpState.Master },
                $"B believes C's previous incarnation ({quiet.ElapsedMilliseconds} ms after the new one is up): {b}");
        }
        Assert.Null(b.Peer(c2));

        // The new incarnation's own state is believed at once.
        c2.Guard.Tell(new PublishLocalState(State(c2)));
        AwaitListener(b, x => x.Peer(c2) is { Reachable: true, State.VrrpState: PeerVrrpState.Backup }, FormWait, "C's new incarnation as BACKUP");
    }

    [Fact]
    public void A_MASTER_claim_from_before_a_cut_is_not_live_when_reachability_returns_until_the_node_re_publishes()
    {
        // The new master must not step down for the claim the cut-off node made before the cut: only a
        // claim gossiped after it (a newer incarnation) counts.
        var nodes = StartGuardedCluster();
        var (b, c) = (nodes[1], nodes[2]);
        c.Guard!.Tell(new PublishLocalState(State(c) with { VrrpState = PeerVrrpState.Master, Priority = 200 }));
        AwaitListener(b, x => x.Peer(c) is { Reachable: true, State.VrrpState: PeerVrrpState.Master }, FormWait, "C gossiped as MASTER");
        var beforeCut = b.Peer(c)!.State.Incarnation;

        foreach (var other in new[] { nodes[0], b })
        {
            Throttle(c, other, Blackhole.Instance);
            Throttle(other, c, Blackhole.Instance);
        }
        AwaitListener(b, x => x.Peer(c) is { Reachable: false }, DetectWait, "C unreachable");
        foreach (var other in new[] { nodes[0], b })
        {
            Throttle(c, other, Unthrottled.Instance);
            Throttle(other, c, Unthrottled.Instance);
        }

        var healed = Stopwatch.StartNew();
        while (b.Peer(c) is not { Reachable: true })
        {
            var left = FormWait - healed.Elapsed;
            Assert.True(left > TimeSpan.Zero, $"C not reachable again within {FormWait}: {b}");
            var message = b.Listener.ReceiveOne(left);
            if (message is not null) b.Record(message);
            Assert.False(b.Peer(c) is { Reachable: true } p && p.State.Incarnation <= beforeCut,
                $"B takes C's MASTER claim from before the cut (incarnation {beforeCut}) as live {healed.ElapsedMilliseconds} ms after the heal");
        }
        _output.WriteLine($"C's fresh MASTER claim live on B {healed.ElapsedMilliseconds} ms after the heal");
        Assert.Equal(PeerVrrpState.Master, b.Peer(c)!.State.VrrpState);
    }

    // ---- 4. formation without a manual join -----------------------------------------------------

    [Fact]
    public void Formation_three_voters_started_together_form_one_cluster()
    {
        var voters = FreeVoterAddresses(3);
        var nodes = voters.Select((v, i) => StartFormingNode($"n{i + 1}", voters, v)).ToArray();
        foreach (var n in nodes)
            AwaitAssert(() => Assert.Equal(voters.OrderBy(x => x.Port), UpMembers(n)), FormWait, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Formation_two_of_three_voters_form_a_cluster_while_the_first_voter_is_missing()
    {
        var voters = FreeVoterAddresses(3);
        // voters[0] (lowest address, the first seed) never starts; the lowest live voter forms.
        var nodes = voters.Skip(1).Select((v, i) => StartFormingNode($"n{i + 2}", voters, v)).ToArray();
        foreach (var n in nodes)
            AwaitAssert(() => Assert.Equal(voters.Skip(1), UpMembers(n)), FormWait, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Formation_a_lone_voter_of_three_never_forms_a_cluster()
    {
        var voters = FreeVoterAddresses(3);
        var lone = StartFormingNode("n1", voters, voters[0]);
        // Well past the first probe (2 s) and several probe rounds and InitJoin retries.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(6);
        while (DateTime.UtcNow < until)
        {
            Assert.Empty(lone.Cluster.State.Members);
            Assert.NotEqual(MemberStatus.Up, lone.Cluster.SelfMember.Status);
            Thread.Sleep(250);
        }
        Assert.Empty(lone.Cluster.State.Members);
        Assert.NotEqual(MemberStatus.Up, lone.Cluster.SelfMember.Status);
        Assert.NotEqual(MemberStatus.Joining, lone.Cluster.SelfMember.Status);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>Three systems with the throttler adapter on ephemeral ports, joined to the first,
    /// each with a guard whose voters are the three actual addresses, each told its local state.</summary>
    private Node[] StartGuardedCluster()
    {
        var nodes = new[] { "a", "b", "c" }.Select(name => StartNode(name, ClusterConfig.For(
            new ClusterGuardSettings([], "127.0.0.1", 0, TwoVoterMode.Quorum), NodeFile(throttler: true)))).ToArray();
        // With the adapter the addresses are akka.trttl.tcp://redis-ha@127.0.0.1:port.
        IReadOnlyList<Address> voters = nodes.Select(n => n.Address).ToArray();
        Assert.All(voters, v => Assert.NotEqual(0, v.Port));
        foreach (var n in nodes)
        {
            var settings = new ClusterGuardSettings(voters, "127.0.0.1", n.Address.Port!.Value, TwoVoterMode.Quorum);
            n.Guard = n.System.ActorOf(ClusterGuardActor.Props(settings, n.Listener.Ref), "cluster-guard");
            AwaitListener(n, x => x.Quorum is { HasQuorum: false, ReachableVoters: 0 }, FormWait, "the initial not-joined view");
            n.Guard.Tell(new PublishLocalState(State(n)));
        }
        foreach (var n in nodes) n.Cluster.Join(nodes[0].Address);
        return nodes;
    }

    private Node StartFormingNode(string name, IReadOnlyList<Address> voters, Address self)
    {
        var settings = new ClusterGuardSettings(voters, self.Host!, self.Port!.Value, TwoVoterMode.Quorum);
        var node = StartNode(name, ClusterConfig.For(settings, NodeFile(throttler: false)));
        Assert.Equal(self, node.Address);
        node.System.ActorOf(ClusterFormationActor.Props(settings), "cluster-formation");
        return node;
    }

    private Node StartNode(string name, Config config)
    {
        var system = ActorSystem.Create(ClusterGuardSettings.SystemName, config);
        var node = new Node(name, system, CreateTestProbe(system, "listener"));
        lock (_nodes) _nodes.Add(node);
        return node;
    }

    private static Config NodeFile(bool throttler) => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          # Dispose terminates all systems at once; a graceful leave would only wait for peers that are going too.
          coordinated-shutdown.run-by-actor-system-terminate = off
          {{(throttler ? "remote.dot-netty.tcp.applied-adapters = [trttl]" : "")}}
        }
        """);

    private static PeerState State(Node n) =>
        new(n.Name, PeerRole.Data, n.Address.ToString(), "", "127.0.0.1", 6379, PeerVrrpState.Backup, 100, 0, PeerRedisRole.Replica, 0);

    private static bool OthersGossipedAndReachable(Node n, IEnumerable<Node> all) =>
        all.Where(o => o != n).All(o => n.Peer(o) is { Reachable: true }) && n.Peers.Count == 2;

    private static Address[] UpMembers(Node n) => n.Cluster.State.Members
        .Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).OrderBy(a => a.Port).ToArray();

    /// <summary>Reads the node's listener until <paramref name="condition"/> holds on what it heard last.</summary>
    private static void AwaitListener(Node node, Func<Node, bool> condition, TimeSpan max, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(node))
        {
            var left = max - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                Assert.Fail($"{node.Name}: {what} not seen within {max.TotalSeconds:0.#} s; last heard: {node}");
            var message = node.Listener.ReceiveOne(left);
            if (message is not null) node.Record(message);
        }
    }

    /// <summary>Sets the throttler mode on <paramref name="from"/>'s transport for its link to <paramref name="to"/>, both directions.</summary>
    private static void Throttle(Node from, Node to, ThrottleMode mode)
    {
        // RARP is internal in Akka.NET 1.5; the provider interface exposes the same transport.
        var provider = (IRemoteActorRefProvider)((ExtendedActorSystem)from.System).Provider;
        var done = provider.Transport.ManagementCommand(new SetThrottle(to.Address, ThrottleTransportAdapter.Direction.Both, mode));
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"{from.Name}: SetThrottle towards {to.Name} not acknowledged");
        Assert.True(done.Result, $"{from.Name}: SetThrottle towards {to.Name} refused (is the trttl adapter applied?)");
    }

    /// <summary>Distinct free loopback ports (held open together while chosen), lowest first.</summary>
    private static Address[] FreeVoterAddresses(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var l in listeners) l.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).Order()
                .Select(p => new Address("akka.tcp", ClusterGuardSettings.SystemName, "127.0.0.1", p)).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            Node[] nodes;
            lock (_nodes) nodes = _nodes.ToArray();
            var terminations = nodes.Select(n => n.System.Terminate()).ToArray();
            Task.WaitAll(terminations, TimeSpan.FromSeconds(20));
        }
        finally
        {
            base.Dispose(disposing);
        }
    }
}
