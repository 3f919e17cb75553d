using System.Net;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Redis;

/// <summary>The write-path rule (<see cref="WritePath"/>) and what the role planner does with a Redis that cannot persist.</summary>
public sealed class WritePathTests
{
    private const string Misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled";

    private static string Info(string role = "master", string rdb = "ok", string aofEnabled = "0", string aofWrite = "ok", string rewrite = "ok",
        long used = 1_000_000, long max = 0, string policy = "noeviction", long notCounted = 0, string version = "7.0.15") =>
        $"# Server\r\nredis_version:{version}\r\nrun_id:abc\r\n# Replication\r\nrole:{role}\r\nmaster_repl_offset:10\r\n" +
        $"# Persistence\r\nloading:0\r\nrdb_last_bgsave_status:{rdb}\r\naof_enabled:{aofEnabled}\r\naof_last_bgrewrite_status:{rewrite}\r\naof_last_write_status:{aofWrite}\r\n" +
        $"# Memory\r\nused_memory:{used}\r\nmaxmemory:{max}\r\nmaxmemory_policy:{policy}\r\nmem_not_counted_for_evict:{notCounted}\r\n";

    [Fact]
    public void A_healthy_Redis_takes_writes()
    {
        Assert.Null(WritePath.Decide(Info(), null));
        Assert.Null(WritePath.Decide(Info(max: 2_000_000), null));
        // Sections missing (an old answer, a test double): nothing known, nothing refused.
        Assert.Null(WritePath.Decide("# Replication\r\nrole:master\r\n", null));
    }

    [Fact]
    public void MISCONF_on_PING_is_a_disk_refusal_named_by_its_INFO_field()
    {
        var r = WritePath.Decide(Info(rdb: "err"), Misconf);
        Assert.Equal(new WriteRefusal("MISCONF rdb_last_bgsave_status:err", true), r);
        Assert.Equal("write path refused: MISCONF rdb_last_bgsave_status:err", r!.Reason);
        Assert.Equal("MISCONF aof_last_write_status:err", WritePath.Decide(Info(aofEnabled: "1", aofWrite: "err"), Misconf)!.Cause);
        // INFO names nothing (an fsync error): Redis' own words.
        Assert.Equal("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk", WritePath.Decide(Info(), Misconf)!.Cause);
    }

    [Fact]
    public void An_AOF_write_error_refuses_writes_whatever_PING_says_but_a_failed_rewrite_or_a_configured_away_RDB_error_does_not()
    {
        Assert.Equal(new WriteRefusal("MISCONF aof_last_write_status:err", true), WritePath.Decide(Info(aofEnabled: "1", aofWrite: "err"), null));
        Assert.Null(WritePath.Decide(Info(aofEnabled: "0", aofWrite: "err"), null)); // AOF off: a stale status
        Assert.Null(WritePath.Decide(Info(aofEnabled: "1", rewrite: "err"), null));
        // A master with stop-writes-on-bgsave-error no (or no save points) answers PING: it takes writes.
        Assert.Null(WritePath.Decide(Info(rdb: "err"), null));
        // A 7.x replica says MISCONF on PING itself; one before 7.0 does not, so its INFO decides.
        Assert.Null(WritePath.Decide(Info(role: "slave", rdb: "err"), null));
        var old = WritePath.Decide(Info(role: "slave", rdb: "err", version: "6.2.14"), null);
        Assert.True(old is { DiskError: true });
        Assert.StartsWith("MISCONF rdb_last_bgsave_status:err", old!.Cause);
    }

    [Fact]
    public void Memory_over_maxmemory_under_noeviction_refuses_writes_and_is_not_a_disk_error()
    {
        var r = WritePath.Decide(Info(used: 1_038_424, max: 1_000_000), null);
        Assert.Equal(new WriteRefusal("OOM used_memory 1038424 > maxmemory 1000000 (maxmemory-policy noeviction)", false), r);
        // Replication and AOF buffers do not count (Redis' own accounting).
        Assert.Null(WritePath.Decide(Info(used: 1_038_424, max: 1_000_000, notCounted: 50_000), null));
        // Eviction frees memory; maxmemory 0 is no limit.
        Assert.Null(WritePath.Decide(Info(used: 1_038_424, max: 1_000_000, policy: "allkeys-lru"), null));
        Assert.Null(WritePath.Decide(Info(used: 1_038_424, max: 0), null));
        // Said once: the figures change on every check, the kind does not.
        Assert.Equal("OOM", r!.Kind);
        Assert.Equal("MISCONF rdb_last_bgsave_status:err", new WriteRefusal("MISCONF rdb_last_bgsave_status:err", true).Kind);
        // A replica ignores maxmemory, but would refuse writes once promoted.
        Assert.EndsWith("; refused once promoted)", WritePath.Decide(Info(role: "slave", used: 1_038_424, max: 1_000_000), null)!.Cause);
    }

    [Fact]
    public void A_refusal_fails_the_check_unless_every_online_replica_answered_and_refuses_writes_too()
    {
        var oom = new WriteRefusal("OOM used_memory 2 > maxmemory 1 (maxmemory-policy noeviction; refused once promoted)", false);
        var refusing = new RedisProbe(true, null, "", oom);
        var taking = new RedisProbe(true, null, "");
        Assert.True(WritePath.FailsCheck(null)); // not asked yet
        Assert.True(WritePath.FailsCheck([])); // no online replica: its coordinator decides
        Assert.True(WritePath.FailsCheck([refusing, taking]));
        Assert.True(WritePath.FailsCheck([refusing, RedisProbe.Failed("no answer within 500 ms")]));
        Assert.False(WritePath.FailsCheck([refusing]));
        Assert.False(WritePath.FailsCheck([refusing, refusing]));
    }

    [Fact]
    public void A_masters_online_replicas_are_read_from_INFO_replication()
    {
        var facts = ReplicationFacts.Parse("# Replication\r\nrole:master\r\nconnected_slaves:3\r\n" +
            "slave0:ip=192.0.2.2,port=6379,state=online,offset=10,lag=0\r\nslave1:ip=192.0.2.3,port=6380,state=wait_bgsave,offset=0,lag=0\r\n" +
            "slave2:ip=192.0.2.4,port=6379,state=online,offset=10,lag=1\r\nmaster_repl_offset:10\r\n");
        Assert.Equal("192.0.2.2:6379,192.0.2.4:6379", facts.OnlineReplicaEndpoints);
        Assert.Equal(2, facts.OnlineReplicas);
    }

    private static readonly IPAddress NewMaster = IPAddress.Parse("192.0.2.2");
    private static readonly WriteRefusal Disk = new("MISCONF rdb_last_bgsave_status:err", true);
    private static readonly WriteRefusal Memory = new("OOM used_memory 2 > maxmemory 1 (maxmemory-policy noeviction)", false);
    private static readonly ReplicationFacts Master = new(RedisRole.Master, null, null, false, 100, 0, "r", 0, "no-failover", 5);
    private static readonly ReplicationFacts Fenced = new(RedisRole.Replica, "127.0.0.1", 1, false, 100, 100, "r", 0, "no-failover", 5);

    private static RolePlan Plan(ReplicationFacts local, ReplicationFacts? masterRedis, WriteRefusal? refusal) =>
        RolePlanner.Plan(new RoleDirective(DesiredRole.Replica, NewMaster, NewMaster, "test"), 6379, local, masterRedis, protectData: true,
            writeRefusal: refusal);

    [Fact]
    public void An_old_master_that_cannot_persist_is_fenced_once_the_new_master_is_up_and_never_made_a_replica_until_its_disk_is_back()
    {
        // The new master is still promoting (catching up with it): it refuses writes by itself meanwhile.
        var waiting = Assert.IsType<RoleSteady>(Plan(Master, StillReplica, Disk));
        Assert.Contains("refuses writes by itself", waiting.Reason);
        Assert.IsType<RoleSteady>(Plan(Master, null, Disk));
        // The new master's Redis is a master: fenced read-only (no link, no replicated write to panic on).
        var fence = Assert.IsType<FenceLocal>(Plan(Master, Promoted, Disk));
        Assert.Contains("write path refused: MISCONF rdb_last_bgsave_status:err: held read-only", fence.Reason);
        // Fenced (or a replica of anyone else): held, not re-pointed.
        var hold = Assert.IsType<HoldReplica>(Plan(Fenced, Promoted, Disk));
        Assert.Contains("not following 192.0.2.2:6379", hold.Reason);
        // The disk is back: it follows.
        Assert.Equal(new FollowMaster("192.0.2.2", 6379), Plan(Fenced, Promoted, null));
        Assert.Equal(new FollowMaster("192.0.2.2", 6379), Plan(Master, Promoted, null));
        // Already following: left alone.
        Assert.IsType<RoleSteady>(Plan(ReplicaOfNew, Promoted, Disk));
    }

    [Fact]
    public void A_master_out_of_memory_is_demoted_as_usual_since_a_replica_ignores_maxmemory()
    {
        Assert.Equal(new FollowMaster("192.0.2.2", 6379), Plan(Master, Promoted, Memory));
        Assert.Equal(new FollowMaster("192.0.2.2", 6379), Plan(Fenced, Promoted, Memory));
    }

    [Fact]
    public void A_VRRP_master_or_a_fault_is_planned_as_before_whatever_the_write_path()
    {
        var asMaster = RolePlanner.Plan(new RoleDirective(DesiredRole.Master, null, null, "test"), 6379, Master, null, writeRefusal: Disk);
        Assert.IsType<RoleSteady>(asMaster);
        var fault = RolePlanner.Plan(new RoleDirective(DesiredRole.Fenced, null, null, "test"), 6379, Master, null, writeRefusal: Disk);
        Assert.IsType<FenceLocal>(fault);
    }

    private static readonly ReplicationFacts Promoted = new(RedisRole.Master, null, null, false, 100, 0, "r2", 0, "no-failover", 5);
    private static readonly ReplicationFacts ReplicaOfNew = new(RedisRole.Replica, "192.0.2.2", 6379, true, 100, 100, "r2", 0, "no-failover", 5);
    private static readonly ReplicationFacts StillReplica = new(RedisRole.Replica, "192.0.2.1", 6379, false, 100, 100, "r", 0, "no-failover", 5);
}
