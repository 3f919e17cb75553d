using System.Net;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;
using Xunit;

namespace RedisHaActors.Tests.Redis;

/// <summary><see cref="ReplicationFacts.Parse"/> and <see cref="RolePlanner"/> on real Redis output.</summary>
public sealed class ReplicationTests
{
    // Captured from redis-server 7.0.15 (Debian) with `redis-cli INFO replication`: a master on
    // 127.0.0.1:16379 and a replica on 127.0.0.1:16380 (`--replicaof 127.0.0.1 16379`), both with
    // `--save "" --appendonly no`; "link down" was taken 3 s after the master was killed, "never
    // synced" right after the replica started. Lines end with CRLF as on the wire.
    private static string Crlf(string text) => text.ReplaceLineEndings("\r\n");

    public static readonly string MasterWithOneReplica = Crlf("""
        # Replication
        role:master
        connected_slaves:1
        slave0:ip=127.0.0.1,port=16380,state=online,offset=145,lag=1
        master_failover_state:no-failover
        master_replid:37a5672dcad8a96defd513b16640d6a867f1788b
        master_replid2:0000000000000000000000000000000000000000
        master_repl_offset:145
        second_repl_offset:-1
        repl_backlog_active:1
        repl_backlog_size:1048576
        repl_backlog_first_byte_offset:1
        repl_backlog_histlen:145

        """);

    public static readonly string ReplicaLinkUp = Crlf("""
        # Replication
        role:slave
        master_host:127.0.0.1
        master_port:16379
        master_link_status:up
        master_last_io_seconds_ago:2
        master_sync_in_progress:0
        slave_read_repl_offset:145
        slave_repl_offset:145
        slave_priority:100
        slave_read_only:1
        replica_announced:1
        connected_slaves:0
        master_failover_state:no-failover
        master_replid:37a5672dcad8a96defd513b16640d6a867f1788b
        master_replid2:0000000000000000000000000000000000000000
        master_repl_offset:145
        second_repl_offset:-1
        repl_backlog_active:1
        repl_backlog_size:1048576
        repl_backlog_first_byte_offset:80
        repl_backlog_histlen:66

        """);

    public static readonly string ReplicaLinkDown = Crlf("""
        # Replication
        role:slave
        master_host:127.0.0.1
        master_port:16379
        master_link_status:down
        master_last_io_seconds_ago:-1
        master_sync_in_progress:0
        slave_read_repl_offset:145
        slave_repl_offset:145
        master_link_down_since_seconds:3
        slave_priority:100
        slave_read_only:1
        replica_announced:1
        connected_slaves:0
        master_failover_state:no-failover
        master_replid:37a5672dcad8a96defd513b16640d6a867f1788b
        master_replid2:0000000000000000000000000000000000000000
        master_repl_offset:145
        second_repl_offset:-1
        repl_backlog_active:1
        repl_backlog_size:1048576
        repl_backlog_first_byte_offset:80
        repl_backlog_histlen:66

        """);

    public static readonly string ReplicaNeverSynced = Crlf("""
        # Replication
        role:slave
        master_host:127.0.0.1
        master_port:16379
        master_link_status:down
        master_last_io_seconds_ago:-1
        master_sync_in_progress:0
        slave_read_repl_offset:1
        slave_repl_offset:1
        master_link_down_since_seconds:-1
        slave_priority:100
        slave_read_only:1
        replica_announced:1
        connected_slaves:0
        master_failover_state:no-failover
        master_replid:f73805c32125a700a28f81af634cc6ae2e553493
        master_replid2:0000000000000000000000000000000000000000
        master_repl_offset:0
        second_repl_offset:-1
        repl_backlog_active:0
        repl_backlog_size:1048576
        repl_backlog_first_byte_offset:0
        repl_backlog_histlen:0

        """);

    [Fact]
    public void Parses_a_master_with_one_replica()
    {
        var f = ReplicationFacts.Parse(MasterWithOneReplica);
        Assert.Equal(RedisRole.Master, f.Role);
        Assert.Null(f.MasterHost);
        Assert.Null(f.MasterPort);
        Assert.False(f.MasterLinkUp);
        Assert.Equal(145, f.MasterReplOffset);
        Assert.Equal(0, f.ReplicaReplOffset);
        Assert.Equal(145, f.Offset);
        Assert.Equal("37a5672dcad8a96defd513b16640d6a867f1788b", f.ReplicationId);
        Assert.Equal(1, f.ConnectedReplicas);
        Assert.Equal("no-failover", f.FailoverState);
        Assert.Equal([new ReplicaLink("127.0.0.1", 16380, true, 145, 1)], f.Replicas);
        Assert.Equal(1, f.OnlineReplicas);
        Assert.Equal("", f.ReplicationId2); // all zeros: no earlier history
        Assert.Equal("9f1c", ReplicationFacts.Parse("role:master\r\nmaster_replid2:9f1c\r\n").ReplicationId2);
        var syncing = ReplicationFacts.Parse("role:slave\r\nmaster_host:192.0.2.1\r\nmaster_port:6379\r\nmaster_sync_in_progress:1\r\nslave_priority:0\r\n");
        Assert.True(syncing.SyncInProgress);
        Assert.Equal(0, syncing.ReplicaPriority);
        Assert.Equal(-1, f.ReplicaPriority);
    }

    [Theory]
    [InlineData("ip=192.0.2.2,port=6379,state=wait_bgsave,offset=0,lag=0", false)]
    [InlineData("ip=192.0.2.2,port=6379,state=send_bulk,offset=0,lag=0", false)]
    [InlineData("ip=192.0.2.2,port=6379,state=online,offset=9,lag=3", true)]
    public void A_replica_counts_as_online_only_once_synced(string line, bool online)
    {
        var f = ReplicationFacts.Parse($"role:master\r\nconnected_slaves:1\r\nslave0:{line}\r\n");
        Assert.Equal(online, Assert.Single(f.Replicas!).Online);
        Assert.Equal(online ? 1 : 0, f.OnlineReplicas);
    }

    [Theory]
    [InlineData("port=6379,state=online")]
    [InlineData("ip=192.0.2.2,port=x,state=online")]
    [InlineData("garbage")]
    public void A_replica_line_without_an_address_is_ignored(string line)
    {
        Assert.Empty(ReplicationFacts.Parse($"role:master\r\nslave0:{line}\r\n").Replicas!);
    }

    [Fact]
    public void Parses_a_replica_with_the_link_up()
    {
        var f = ReplicationFacts.Parse(ReplicaLinkUp);
        Assert.Equal(RedisRole.Replica, f.Role);
        Assert.Equal("127.0.0.1", f.MasterHost);
        Assert.Equal(16379, f.MasterPort);
        Assert.True(f.MasterLinkUp);
        Assert.Equal(145, f.ReplicaReplOffset);
        Assert.Equal(145, f.Offset);
        Assert.Equal("37a5672dcad8a96defd513b16640d6a867f1788b", f.ReplicationId);
        Assert.Equal(0, f.ConnectedReplicas);
    }

    [Fact]
    public void Parses_a_replica_with_the_link_down()
    {
        var f = ReplicationFacts.Parse(ReplicaLinkDown);
        Assert.Equal(RedisRole.Replica, f.Role);
        Assert.Equal("127.0.0.1", f.MasterHost);
        Assert.Equal(16379, f.MasterPort);
        Assert.False(f.MasterLinkUp);
        Assert.Equal(145, f.Offset);
    }

    [Fact]
    public void Parses_a_replica_that_never_synced()
    {
        var f = ReplicationFacts.Parse(ReplicaNeverSynced);
        Assert.Equal(RedisRole.Replica, f.Role);
        Assert.False(f.MasterLinkUp);
        Assert.Equal(0, f.MasterReplOffset);
        Assert.Equal(1, f.ReplicaReplOffset);
        Assert.Equal(1, f.Offset);
        Assert.Equal("f73805c32125a700a28f81af634cc6ae2e553493", f.ReplicationId);
    }

    [Fact]
    public void Parses_lf_only_text_and_a_failover_in_progress()
    {
        var f = ReplicationFacts.Parse(MasterWithOneReplica.Replace("\r\n", "\n")
            .Replace("master_failover_state:no-failover", "master_failover_state:waiting-for-sync"));
        Assert.Equal(RedisRole.Master, f.Role);
        Assert.Equal(145, f.MasterReplOffset);
        Assert.Equal("waiting-for-sync", f.FailoverState);
    }

    [Fact]
    public void Missing_fields_get_neutral_values()
    {
        var f = ReplicationFacts.Parse("role:master\r\n");
        Assert.Equal(new ReplicationFacts(RedisRole.Master, null, null, false, 0, 0, "", 0, "no-failover") with { Replicas = f.Replicas }, f);
        Assert.Empty(f.Replicas!);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# Replication\r\nconnected_slaves:0\r\n")]
    [InlineData("-ERR unknown command")]
    public void Text_without_a_role_is_rejected(string text)
    {
        Assert.Throws<FormatException>(() => ReplicationFacts.Parse(text));
    }

    // ---- RolePlanner ----

    private static readonly IPAddress Peer = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Loopback = IPAddress.Parse("127.0.0.1");

    private static readonly Dictionary<string, ReplicationFacts?> Facts = new()
    {
        ["none"] = null,
        ["master"] = ReplicationFacts.Parse(MasterWithOneReplica),
        ["replica up"] = ReplicationFacts.Parse(ReplicaLinkUp),
        ["replica down"] = ReplicationFacts.Parse(ReplicaLinkDown),
        ["replica never synced"] = ReplicationFacts.Parse(ReplicaNeverSynced),
    };

    public static TheoryData<string, VrrpState, string?, string?, int, string, string> PlanTable => new()
    {
        // case, vrrp, master, previous master, peers' port, local facts, expected plan
        { "redis down: nothing to do", VrrpState.Master, null, "192.0.2.1", 16379, "none", "steady" },
        { "redis down while backup", VrrpState.Backup, "127.0.0.1", null, 16379, "none", "steady" },
        { "vrrp master, redis master", VrrpState.Master, null, "192.0.2.1", 16379, "master", "steady" },
        { "vrrp master, redis replica: promote", VrrpState.Master, null, "192.0.2.1", 16379, "replica up", "promote 192.0.2.1" },
        { "vrrp master, replica with link down: promote", VrrpState.Master, null, "192.0.2.1", 16379, "replica down", "promote 192.0.2.1" },
        { "vrrp master, no previous master known", VrrpState.Master, null, null, 16379, "replica never synced", "promote -" },
        { "backup, replica of the vrrp master", VrrpState.Backup, "127.0.0.1", null, 16379, "replica up", "steady" },
        { "backup, replica of the vrrp master, link down", VrrpState.Backup, "127.0.0.1", null, 16379, "replica down", "steady" },
        { "backup, redis restarted as master: re-point", VrrpState.Backup, "127.0.0.1", null, 16379, "master", "follow 127.0.0.1:16379" },
        { "backup, replica of another host", VrrpState.Backup, "192.0.2.1", null, 16379, "replica up", "follow 192.0.2.1:16379" },
        { "backup, replica of the right host, wrong port", VrrpState.Backup, "127.0.0.1", null, 6379, "replica up", "follow 127.0.0.1:6379" },
        { "backup, no master heard: no guessing", VrrpState.Backup, null, null, 16379, "master", "steady" },
        { "backup, no master heard, replica", VrrpState.Backup, null, null, 16379, "replica up", "steady" },
        { "vrrp not running", VrrpState.Initialize, "127.0.0.1", null, 16379, "master", "steady" },
    };

    [Theory]
    [MemberData(nameof(PlanTable))]
    public void Role_planner_moves_the_local_redis_towards_the_vrrp_state(
        string name, VrrpState vrrp, string? master, string? previous, int port, string facts, string expected)
    {
        var plan = PlanHelper.Plan(vrrp, master is null ? null : IPAddress.Parse(master),
            previous is null ? null : IPAddress.Parse(previous), port, Facts[facts], Facts["master"]);
        var actual = plan switch
        {
            RoleSteady => "steady",
            PromoteLocal p => $"promote {p.PreviousMaster?.ToString() ?? "-"}",
            FollowMaster f => $"follow {f.Host}:{f.Port}",
            _ => plan.GetType().Name,
        };
        Assert.True(expected == actual, $"{name}: expected {expected}, got {actual} ({plan})");
        if (plan is RoleSteady steady) Assert.False(string.IsNullOrWhiteSpace(steady.Reason));
    }

    [Fact]
    public void Planner_is_level_triggered_the_same_facts_give_the_same_plan()
    {
        var facts = ReplicationFacts.Parse(MasterWithOneReplica);
        var first = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, facts, facts);
        var second = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, facts, facts);
        Assert.Equal(new FollowMaster("192.0.2.1", 6379), first);
        Assert.Equal(first, second);
        Assert.Equal(new PromoteLocal(Loopback), PlanHelper.Plan(VrrpState.Master, null, Loopback, 16379, ReplicationFacts.Parse(ReplicaLinkDown), null));
    }

    [Theory]
    [InlineData("replica up")]
    [InlineData("replica never synced")]
    [InlineData("none")]
    public void Backup_waits_until_the_vrrp_masters_Redis_is_a_master_before_following_it(string masterFacts)
    {
        // A demoted node whose Redis is still master keeps it until the new master has promoted:
        // following a replica would make the two Redis replicas of each other.
        var plan = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, Facts["master"], Facts[masterFacts]);
        var steady = Assert.IsType<RoleSteady>(plan);
        Assert.Contains("waiting for 192.0.2.1:6379", steady.Reason);
        Assert.Equal(new FollowMaster("192.0.2.1", 6379), PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, Facts["master"], Facts["master"]));
    }

    [Theory]
    [InlineData(null, 100L, 0L)]
    [InlineData(145L, 145L, 0L)]
    [InlineData(145L, 80L, 65L)]
    [InlineData(80L, 145L, 0L)]   // never negative
    [InlineData(10_000_000_000L, 1L, 9_999_999_999L)]
    public void Estimated_loss_is_the_offset_gap_never_negative(long? lastKnownMasterOffset, long own, long expected)
    {
        Assert.Equal(expected, RolePlanner.EstimatedLoss(lastKnownMasterOffset, own));
    }
}
