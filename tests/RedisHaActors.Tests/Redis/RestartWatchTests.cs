using RedisHaActors.Redis;
using RedisHaActors.Vrrp;
using Xunit;

namespace RedisHaActors.Tests.Redis;

/// <summary>A restart of the local Redis is noticed on the next check; an empty restarted master is held back.</summary>
public sealed class RestartWatchTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    private static ReplicationFacts Master(string runId, long offset, long keys, string replId = "r1") =>
        new(RedisRole.Master, null, null, false, offset, 0, replId, 0, "no-failover", keys, runId);

    private static ReplicationFacts LinkedReplica(string runId) =>
        new(RedisRole.Replica, "192.0.2.2", 6379, true, 900, 900, "r2", 0, "no-failover", 30, runId);

    [Fact]
    public void The_same_run_id_is_no_restart()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("aaaa", 500, 30), T0);
        var (next, restarted, released) = w.Observe(Master("aaaa", 600, 31), T0);
        Assert.Null(restarted);
        Assert.Null(released);
        Assert.False(next.Held);
    }

    [Fact]
    public void An_empty_master_with_a_new_run_id_is_held_and_the_log_names_both_ids_offsets_and_keys()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("aaaaaaaa11", 500, 30), T0);
        // The restart spans failed checks: the last answer is what it is compared with.
        (w, _, _) = w.Observe(null, T0 + TimeSpan.FromMilliseconds(200));
        var (held, restarted, _) = w.Observe(Master("bbbbbbbb22", 0, 0, "r9"), T0 + TimeSpan.FromMilliseconds(400));
        Assert.StartsWith("run_id aaaaaaaa -> bbbbbbbb, master_repl_offset 500 -> 0, keys 30 -> 0; it came back a master", restarted);
        Assert.True(held.Held);
        Assert.StartsWith("restarted empty (it had 30 keys)", held.HeldReason);
    }

    [Fact]
    public void A_hold_ends_when_the_Redis_has_synced_from_a_master_or_after_the_hold_time()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("a", 500, 30), T0);
        (w, _, _) = w.Observe(Master("b", 0, 0), T0);
        Assert.True(w.Held);

        var (still, _, none) = w.Observe(Master("b", 0, 0), T0 + RestartWatch.EmptyRestartHold - TimeSpan.FromMilliseconds(1));
        Assert.True(still.Held);
        Assert.Null(none);

        var (synced, _, why) = w.Observe(LinkedReplica("b"), T0 + TimeSpan.FromSeconds(1));
        Assert.False(synced.Held);
        Assert.Equal("it synced from its master", why);

        var (expired, _, why2) = w.Observe(null, T0 + RestartWatch.EmptyRestartHold);
        Assert.False(expired.Held);
        Assert.StartsWith("no other Redis took over", why2);
    }

    [Theory]
    [InlineData(RedisRole.Master, 5L, 30L)]   // came back with data (persistence): nothing to protect
    [InlineData(RedisRole.Master, 0L, 0L)]    // was empty before: a fresh set
    [InlineData(RedisRole.Replica, 0L, 30L)]  // a linked replica re-syncs from its master anyway
    public void A_restart_that_cannot_wipe_a_replica_is_logged_but_not_held(RedisRole role, long keysNow, long keysBefore)
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("a", 500, keysBefore), T0);
        var after = Master("b", 0, keysNow) with { Role = role, MasterLinkUp = role == RedisRole.Replica };
        var (next, restarted, _) = w.Observe(after, T0);
        Assert.NotNull(restarted);
        Assert.False(next.Held);
    }

    [Fact]
    public void A_Redis_started_read_only_by_redis_conf_that_came_back_empty_is_held_and_never_promoted()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("a", 500, 30), T0);
        var fenced = Master("b", 0, 0) with { Role = RedisRole.Replica, MasterHost = LocalFence.Host, MasterPort = LocalFence.Port };
        var (next, restarted, _) = w.Observe(fenced, T0);
        Assert.True(next.Held);
        Assert.DoesNotContain("came back a master", restarted);
        var plan = PlanHelper.Plan(VrrpState.Master, null, null, 6379, fenced, null, emptyRestart: next.HeldReason);
        Assert.IsType<HoldPromotion>(plan);
        // Restarted as a master instead: the log line says how to close the window.
        var (_, asMaster, _) = w.Observe(Master("c", 0, 0), T0);
        Assert.Contains("start Redis with `replicaof 127.0.0.1 1` in redis.conf", asMaster);
    }

    [Fact]
    public void Without_run_id_a_new_replication_id_with_the_offset_gone_back_is_a_restart_but_a_promotion_is_not()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("", 500, 30, "r1"), T0);
        var (afterPromotion, promoted, _) = w.Observe(Master("", 520, 30, "r2"), T0);
        Assert.Null(promoted);
        var (held, restarted, _) = afterPromotion.Observe(Master("", 0, 0, "r3"), T0);
        Assert.StartsWith("run_id ? -> ?, master_repl_offset 520 -> 0, keys 30 -> 0;", restarted);
        Assert.True(held.Held);
    }

    [Fact]
    public void Without_run_id_a_replica_full_resyncing_from_a_master_that_was_behind_is_no_restart()
    {
        var (w, _, _) = RestartWatch.Initial.Observe(Master("", 500, 30, "r1"), T0);
        var resynced = new ReplicationFacts(RedisRole.Replica, "192.0.2.2", 6379, true, 400, 400, "r2", 0, "no-failover", 28);
        var (_, restarted, _) = w.Observe(resynced, T0);
        Assert.Null(restarted);
    }

    [Theory]
    [InlineData(VrrpState.Master)]
    [InlineData(VrrpState.Backup)]
    public void An_empty_restarted_master_is_fenced_at_once_whatever_VRRP_says_and_a_replica_is_left_alone(VrrpState vrrp)
    {
        var peer = System.Net.IPAddress.Parse("192.0.2.2");
        var plan = PlanHelper.Plan(vrrp, peer, null, 6379, Master("b", 0, 0), Master("p", 900, 30), emptyRestart: "restarted empty (it had 30 keys)");
        Assert.Equal(new FenceLocal("redis restarted empty (it had 30 keys)"), plan);

        var replica = Master("b", 0, 0) with { Role = RedisRole.Replica, MasterHost = "127.0.0.1", MasterPort = 1 };
        Assert.IsNotType<FenceLocal>(PlanHelper.Plan(vrrp, peer, null, 6379, replica, Master("p", 900, 30), emptyRestart: "restarted empty"));
    }

    [Fact]
    public void Info_server_gives_the_run_id()
    {
        const string info = "# Replication\r\nrole:master\r\nmaster_replid:abc\r\nmaster_repl_offset:7\r\n# Keyspace\r\n# Server\r\nredis_version:7.0.15\r\nrun_id:0123456789abcdef\r\ntcp_port:6379\r\n";
        var facts = ReplicationFacts.Parse(info);
        Assert.Equal("0123456789abcdef", facts.RunId);
        Assert.Equal(0, facts.Keys);
        Assert.Equal("", ReplicationFacts.Parse("role:master\r\n").RunId);
    }
}
