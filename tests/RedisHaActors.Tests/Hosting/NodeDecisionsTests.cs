using System.Net;
using Akka.Actor;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Hosting;

/// <summary>The supervisor's rules: eligibility, translation to the Redis side, gossip both ways,
/// switchover refusal, child restarts.</summary>
public sealed class NodeDecisionsTests
{
    private static readonly RedisHealth Healthy = new(200, true, "redis check OK (priority 200)", true);

    [Fact]
    public void Eligibility_the_switchover_then_the_data_preference_then_no_preempt_after_a_switchover()
    {
        Assert.Equal(new HealthChanged(200, true, Healthy.Cause, true), Eligibility.Gate(Healthy, null, null, false));
        Assert.Equal(new HealthChanged(200, false, "switchover to n2", true), Eligibility.Gate(Healthy, "empty", "n2", false));
        Assert.Equal(new HealthChanged(200, false, "not eligible: empty", true), Eligibility.Gate(Healthy, "empty", null, false));
        Assert.Equal(new HealthChanged(200, true, Healthy.Cause, false), Eligibility.Gate(Healthy, null, null, true));
        // The monitor's own verdict (a failing check, an empty restart) passes through.
        var failing = Healthy with { Eligible = false, Cause = "redis check failed 2 times" };
        Assert.False(Eligibility.Gate(failing, null, null, false).Eligible);
    }

    [Fact]
    public void A_backup_does_not_stand_for_election_while_a_reachable_member_has_not_published_its_state_a_master_keeps_the_VIP()
    {
        // Both data nodes downed after a heal and rejoining: the one that is back first must not win before it
        // knows what the other's Redis holds.
        var pending = new[] { "akka.tcp://redis-ha@192.0.2.2:4053" };
        var backup = Eligibility.Gate(Healthy, null, null, false, pending: pending);
        Assert.False(backup.Eligible);
        Assert.Contains("waiting for akka.tcp://redis-ha@192.0.2.2:4053 to publish its state", backup.Cause);
        Assert.Equal(new HealthChanged(200, true, Healthy.Cause, true), Eligibility.Gate(Healthy, null, null, false, master: true, pending: pending));
        Assert.Equal(new HealthChanged(200, true, Healthy.Cause, true), Eligibility.Gate(Healthy, null, null, false, pending: []));
        // Released together by the same gossip, the higher priority stands first, by more than the gossip's jitter.
        Assert.Equal(TimeSpan.FromMilliseconds(1100), Eligibility.StandOffAfterWait(200));
        Assert.True(Eligibility.StandOffAfterWait(190) - Eligibility.StandOffAfterWait(200) >= TimeSpan.FromMilliseconds(200));
        // Below a reachable higher-priority backup, by more than the skew seen between nodes' releases (0.5 s in the lab).
        Assert.Equal(TimeSpan.FromMilliseconds(3300), Eligibility.StandOffAfterWait(190, higherPeerStanding: true));
        Assert.True(Eligibility.StandOffAfterWait(190, higherPeerStanding: true) - Eligibility.StandOffAfterWait(200) >= TimeSpan.FromSeconds(2));
        // The data preference says more than "waiting".
        Assert.Equal("not eligible: empty", Eligibility.Gate(Healthy, "empty", null, false, pending: pending).Cause);
    }

    [Fact]
    public void A_preemption_given_back_hands_the_VIP_back_then_only_stops_preemption()
    {
        // Still MASTER: not eligible, so VRRP leaves with a priority-0 advert and the old master takes over.
        var asMaster = Eligibility.Gate(Healthy, null, null, false, "preemption given back: behind", master: true);
        Assert.Equal(new HealthChanged(200, false, "not eligible: preemption given back: behind", true), asMaster);
        // A backup again: eligible for a real failover, but not in sync for preemption.
        Assert.Equal(new HealthChanged(200, true, Healthy.Cause, false), Eligibility.Gate(Healthy, null, null, false, "preemption given back: behind"));
    }

    [Theory]
    [InlineData(VrrpState.Master, DesiredRole.Master)]
    [InlineData(VrrpState.Backup, DesiredRole.Replica)]
    [InlineData(VrrpState.Fault, DesiredRole.Fenced)]
    [InlineData(VrrpState.Initialize, DesiredRole.None)]
    public void VRRP_state_becomes_a_Redis_role(VrrpState vrrp, DesiredRole role)
    {
        var master = IPAddress.Parse("192.0.2.1");
        var d = RoleTranslation.Directive(vrrp, master, master, true, TimeSpan.FromSeconds(1), "no quorum", "cause");
        Assert.Equal(role, d.Role);
        // Only a backup follows a master.
        Assert.Equal(vrrp == VrrpState.Backup ? master : null, d.Master);
        Assert.Equal(master, d.PreviousMaster);
        Assert.Equal("no quorum", d.NoQuorum);
    }

    private static PeerView View(string name, PeerRole role, bool reachable, PeerVrrpState vrrp = PeerVrrpState.Backup,
        PeerRedisRole redis = PeerRedisRole.Replica, string vrrpAddress = "192.0.2.2") =>
        new(new PeerState(name, role, $"akka.tcp://redis-ha@{vrrpAddress}:4053", vrrpAddress, vrrpAddress, 6379, vrrp, 190, 1234, redis, 7, 42), reachable);

    [Fact]
    public void Gossip_in_witnesses_are_no_data_peers_and_only_reachable_masters_count()
    {
        var peers = new[]
        {
            View("n2", PeerRole.Data, true, PeerVrrpState.Master, PeerRedisRole.Master),
            View("n3", PeerRole.Data, false, PeerVrrpState.Master, PeerRedisRole.Down, "192.0.2.3"),
            View("w", PeerRole.Witness, true, PeerVrrpState.None, PeerRedisRole.None, ""),
        };
        Assert.Equal([new ClusterMaster(IPAddress.Parse("192.0.2.2"), 190)], GossipMapping.Masters(peers));
        Assert.Equal(
        [
            new DataPeer("n2", "192.0.2.2", 6379, true, RedisRole.Master, 42, 1234, VrrpAddress: "192.0.2.2", ClusterHost: "192.0.2.2", ClusterPort: 4053),
            new DataPeer("n3", "192.0.2.3", 6379, false, RedisRole.Unknown, 42, 1234, VrrpAddress: "192.0.2.3", ClusterHost: "192.0.2.3", ClusterPort: 4053),
        ], GossipMapping.DataPeers(peers));
    }

    [Fact]
    public void Gossip_out_a_data_node_and_a_witness()
    {
        var settings = HaSettings.Parse("""
            redis-ha.node.name = n1
            redis-ha.vrrp { interface = eth0, virtual-router-id = 51, priority = 200, virtual-ipaddress = ["192.0.2.100/24"] }
            akka.remote.dot-netty.tcp.hostname = 192.0.2.1
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"]
            """);
        var facts = new ReplicationFacts(RedisRole.Master, null, null, false, 500, 0, "r", 1, "no-failover", 9, Replicas: [new ReplicaLink("192.0.2.2", 6379, true, 500, 0)]);
        var state = GossipMapping.Local(settings, IPAddress.Parse("192.0.2.1"), "192.0.2.1", VrrpState.Master, 200, facts);
        Assert.Equal(new PeerState("n1", PeerRole.Data, "akka.tcp://redis-ha@192.0.2.1:4053", "192.0.2.1", "192.0.2.1", 6379,
            PeerVrrpState.Master, 200, 500, PeerRedisRole.Master, 0, 9, ReplId: "r"), state);
        Assert.Equal(PeerRedisRole.Down, GossipMapping.Local(settings, null, "x", VrrpState.Backup, 200, null).RedisRole);
        var witness = GossipMapping.Witness(settings);
        Assert.Equal((PeerRole.Witness, PeerVrrpState.None, PeerRedisRole.None), (witness.Role, witness.VrrpState, witness.RedisRole));
    }

    [Fact]
    public void Gossip_out_a_role_change_goes_at_once_a_moving_offset_once_a_second()
    {
        var a = new PeerState("n1", PeerRole.Data, "x", "", "", 6379, PeerVrrpState.Master, 200, 100, PeerRedisRole.Master, 0, 5);
        Assert.True(GossipMapping.ShouldPublish(a, null, TimeSpan.Zero));
        Assert.False(GossipMapping.ShouldPublish(a, a, TimeSpan.FromHours(1)));
        Assert.False(GossipMapping.ShouldPublish(a with { ReplOffset = 900, Keys = 6 }, a, TimeSpan.FromMilliseconds(500)));
        Assert.True(GossipMapping.ShouldPublish(a with { ReplOffset = 900 }, a, GossipMapping.OffsetPublishInterval));
        Assert.True(GossipMapping.ShouldPublish(a with { VrrpState = PeerVrrpState.Backup }, a, TimeSpan.Zero));
        Assert.True(GossipMapping.ShouldPublish(a with { Keys = 0 }, a, TimeSpan.Zero)); // became empty
    }

    [Fact]
    public void A_switchover_is_refused_with_the_reason_and_otherwise_names_its_target()
    {
        var master = new ReplicationFacts(RedisRole.Master, null, null, false, 500, 0, "r", 1, "no-failover");
        IReadOnlyList<PeerView> peers = [View("n2", PeerRole.Data, true), View("n3", PeerRole.Data, false, vrrpAddress: "192.0.2.3"),
            View("w", PeerRole.Witness, true, PeerVrrpState.None, PeerRedisRole.None, "")];
        string? Refuse(string to, bool guarded = true, bool inProgress = false, VrrpState vrrp = VrrpState.Master, ReplicationFacts? local = null) =>
            SwitchoverPolicy.Refusal(to, "n1", guarded, inProgress, vrrp, local ?? master, peers, out _);
        Assert.Contains("needs the cluster guard", Refuse("n2", guarded: false));
        Assert.Contains("already in progress", Refuse("n2", inProgress: true));
        Assert.Contains("n1 is this node", Refuse("n1"));
        Assert.Contains("not the master (VRRP BACKUP)", Refuse("n2", vrrp: VrrpState.Backup));
        Assert.Contains("local Redis is not a master", Refuse("n2", local: master with { Role = RedisRole.Replica }));
        Assert.Contains("no node named n9", Refuse("n9"));
        Assert.Contains("w is a witness", Refuse("w"));
        Assert.Contains("n3 is unreachable", Refuse("n3"));
        Assert.Null(SwitchoverPolicy.Refusal("n2", "n1", true, false, VrrpState.Master, master, peers, out var target));
        Assert.Equal("n2", target!.Name);
        IReadOnlyList<PeerView> masterPeer = [View("n2", PeerRole.Data, true, redis: PeerRedisRole.Master)];
        Assert.Equal("refused: n2's Redis is master, not a replica", SwitchoverPolicy.Refusal("n2", "n1", true, false, VrrpState.Master, master, masterPeer, out _));
    }

    [Fact]
    public void A_failed_child_is_restarted_at_once_then_backing_off_and_given_up_after_too_many_failures()
    {
        var policy = ChildRestarts.Default;
        IReadOnlyList<TimeSpan> failures = [];
        var delays = new List<TimeSpan?>();
        var t = TimeSpan.FromSeconds(10);
        for (var i = 0; i < 11; i++)
        {
            (failures, var delay) = policy.Failed(failures, t);
            delays.Add(delay);
            t += TimeSpan.FromSeconds(1);
        }
        Assert.Equal([0, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10, 10, 10], delays.Take(10).Select(d => Math.Round(d!.Value.TotalSeconds, 3)));
        Assert.Null(delays[10]); // the 11th failure within a minute: give up
        // Failures older than the window are forgotten: a child that failed once an hour restarts at once.
        var (kept, again) = policy.Failed(failures, t + TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.Zero, again);
        Assert.Single(kept);
    }
}
