using System.Diagnostics;
using RedisHaActors.Configuration;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Redis;

/// <summary>The StackExchange.Redis adapter against real redis-server processes on loopback.</summary>
public sealed class StackExchangeRedisNodeTests
{
    // Generous: a loaded 2-core CI machine can take a while for the first connect and handshake.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Probe_of_a_master_passes_with_its_replication_facts()
    {
        using var redis = new LoopbackRedis();
        redis.Cli(null, "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
        Assert.Equal(RedisRole.Master, probe.Facts!.Role);
        Assert.Equal(40, probe.Facts.ReplicationId.Length);
    }

    [Fact]
    public async Task Probe_of_a_Redis_that_cannot_save_passes_with_its_facts_and_reports_the_MISCONF_cause()
    {
        // Nobody, not even root, can create a file in /proc: every RDB save fails (no mount needed).
        using var redis = new LoopbackRedis("--save", "3600", "1", "--dir", "/proc");
        redis.Cli(null, "SET", "k", "v");
        redis.Cli(null, "BGSAVE");
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        RedisProbe? probe = null;
        for (var i = 0; i < 100 && probe?.WriteRefusal is null; i++)
        {
            probe = await node.ProbeAsync(Timeout);
            if (probe.WriteRefusal is null) await Task.Delay(50);
        }
        Assert.True(probe!.Passed, probe.Error);
        Assert.Equal(RedisRole.Master, probe.Facts!.Role);
        Assert.Equal(new WriteRefusal("MISCONF rdb_last_bgsave_status:err", true), probe.WriteRefusal);
        Assert.False(probe.Healthy);
        Assert.Equal("write path refused: MISCONF rdb_last_bgsave_status:err", probe.HealthError);
    }

    [Fact]
    public async Task Probe_of_a_Redis_over_maxmemory_under_noeviction_reports_OOM_and_a_replicas_read_only_setting_is_read()
    {
        using var redis = new LoopbackRedis();
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        Assert.Null((await node.ProbeAsync(Timeout)).WriteRefusal);
        redis.Cli(null, "CONFIG", "SET", "maxmemory", "1");
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
        Assert.False(probe.WriteRefusal!.DiskError);
        Assert.Matches(@"^OOM used_memory \d+ > maxmemory 1 \(maxmemory-policy noeviction\)$", probe.WriteRefusal.Cause);
        Assert.True(await node.ReplicaReadOnlyAsync(Timeout));
        redis.Cli(null, "CONFIG", "SET", "replica-read-only", "no");
        Assert.False(await node.ReplicaReadOnlyAsync(Timeout));
    }

    [Fact]
    public async Task MinReplicas_reads_the_operators_setting_and_SetMinReplicas_changes_it()
    {
        using var redis = new LoopbackRedis();
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        Assert.Equal(new OperatorMinReplicas(0, 10), await node.MinReplicasAsync(Timeout)); // Redis' defaults
        redis.Cli(null, "CONFIG", "SET", "min-replicas-max-lag", "7");
        redis.Cli(null, "CONFIG", "SET", "min-replicas-to-write", "2");
        Assert.Equal(new OperatorMinReplicas(2, 7), await node.MinReplicasAsync(Timeout));
        await node.SetMinReplicasAsync(0, 2, Timeout);
        Assert.Equal(new OperatorMinReplicas(0, 2), await node.MinReplicasAsync(Timeout));
    }

    [Fact]
    public async Task A_Redis_6_2_replica_refusing_the_ECHO_connect_check_is_probed_through_PING_and_one_INFO_per_section()
    {
        // Redis 6.2 refuses ECHO on a replica without its link under replica-serve-stale-data no (a fenced Redis is one);
        // the library then drops the connection, and a node that kept asking ECHO could never check its own fenced Redis.
        using var redis = new Redis62StaleReplica();
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
        Assert.Equal(RedisRole.Replica, probe.Facts!.Role);
        Assert.Equal(1234, probe.Facts.Offset);
        Assert.Equal(3, probe.Facts.Keys);
        var commands = redis.Commands.ToArray();
        Assert.Contains(commands, c => c.StartsWith("ECHO", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("INFO replication keyspace", StringComparison.Ordinal));
        Assert.Contains("INFO replication", commands);
        Assert.Contains("INFO keyspace", commands);
        // Checked again: no ECHO any more, no multi-section INFO any more.
        var before = redis.Commands.Count;
        Assert.True((await node.ProbeAsync(Timeout)).Passed);
        var again = redis.Commands.Skip(before).ToArray();
        Assert.DoesNotContain(again, c => c.StartsWith("ECHO", StringComparison.Ordinal) || c.StartsWith("INFO replication keyspace", StringComparison.Ordinal));
        Assert.Contains("PING", again);
    }

    [Fact]
    public async Task Probe_of_a_closed_port_fails_fast_with_a_clear_reason()
    {
        await using var node = new StackExchangeRedisNode("127.0.0.1", LoopbackRedis.FreePort(), "", "", Timeout);
        var sw = Stopwatch.StartNew();
        var probe = await node.ProbeAsync(Timeout);
        Assert.False(probe.Passed);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        Assert.False(string.IsNullOrWhiteSpace(probe.Error));
        Assert.DoesNotContain("\n", probe.Error);
        // Nothing listens: certain evidence that the process is gone (a stall would time out instead).
        Assert.True(probe.ConnectionRefused);
    }

    [Fact]
    public async Task Wrong_password_fails_the_check_with_an_authentication_message_and_right_one_passes()
    {
        using var redis = new LoopbackRedis("--requirepass", "s3cret");
        await using (var wrong = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "nope", Timeout))
        {
            var probe = await wrong.ProbeAsync(Timeout);
            Assert.False(probe.Passed);
            Assert.Contains("authentication", probe.Error);
        }
        await using var right = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "s3cret", Timeout);
        var ok = await right.ProbeAsync(Timeout);
        Assert.True(ok.Passed, ok.Error);
    }

    [Fact]
    public async Task TLS_with_the_CA_and_a_client_certificate_passes_and_each_missing_piece_fails_with_a_reason()
    {
        using var certs = new TestCertificates();
        var port = LoopbackRedis.FreePort();
        using var redis = new LoopbackRedis(port, certs.RedisArgs(port));
        var full = new RedisTlsSettings(true, certs.CaFile, certs.ClientCertFile, certs.ClientKeyFile, "", true);

        await using (var node = new StackExchangeRedisNode("127.0.0.1", port, "", "", Timeout, full))
        {
            var probe = await node.ProbeAsync(Timeout);
            Assert.True(probe.Passed, probe.Error);
            Assert.Equal(RedisRole.Master, probe.Facts!.Role);
            // Role changes go over the same TLS connection.
            await node.SetMinReplicasAsync(0, 1, Timeout);
        }

        // Plain TCP against the TLS port, a server certificate from another CA, no client certificate.
        foreach (var (what, tls) in new (string, RedisTlsSettings?)[]
                 {
                     ("plain TCP", null),
                     ("another CA", full with { CaFile = certs.OtherCaFile }),
                     ("no client certificate", full with { CertFile = "", KeyFile = "" }),
                 })
        {
            await using var node = new StackExchangeRedisNode("127.0.0.1", port, "", "", TimeSpan.FromSeconds(1), tls);
            var probe = await node.ProbeAsync(TimeSpan.FromSeconds(2));
            Assert.False(probe.Passed, what);
            Assert.False(string.IsNullOrWhiteSpace(probe.Error), what);
        }

        // verify = off: encryption without checking who answers (warned at check-config).
        await using var unverified = new StackExchangeRedisNode("127.0.0.1", port, "", "", Timeout,
            full with { CaFile = certs.OtherCaFile, Verify = false });
        var accepted = await unverified.ProbeAsync(Timeout);
        Assert.True(accepted.Passed, accepted.Error);
    }

    [Fact]
    public async Task ACL_user_and_password_are_used()
    {
        using var redis = new LoopbackRedis("--requirepass", "adminpw");
        redis.Cli("adminpw", "ACL", "SETUSER", "ha", "on", ">hapw", "+@all", "~*");
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "ha", "hapw", Timeout);
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
    }

    [Fact]
    public async Task REPLICAOF_makes_a_replica_and_NO_ONE_makes_it_master_again()
    {
        using var master = new LoopbackRedis();
        using var replica = new LoopbackRedis();
        master.Cli(null, "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "", "", Timeout);
        await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout);
        ReplicationFacts? facts = null;
        // Redis 7 waits repl-diskless-sync-delay (5 s by default) before the first full sync: give
        // the link 15 s, not the 5 s this loop had (it failed once on a loaded host).
        for (var i = 0; i < 300; i++)
        {
            facts = (await node.ProbeAsync(Timeout)).Facts;
            if (facts is { MasterLinkUp: true }) break;
            await Task.Delay(50);
        }
        Assert.Equal(RedisRole.Replica, facts!.Role);
        Assert.True(facts.MasterLinkUp);
        Assert.Equal(master.Port, facts.MasterPort);
        Assert.Equal("v", replica.Cli(null, "GET", "k"));

        await node.ReplicaOfNoOneAsync(Timeout);
        Assert.Equal(RedisRole.Master, (await node.ProbeAsync(Timeout)).Facts!.Role);
        Assert.Equal("OK", replica.Cli(null, "SET", "k2", "v2"));
    }

    [Fact]
    public async Task REPLICAOF_in_a_password_protected_set_configures_masterauth_so_the_replica_syncs()
    {
        using var master = new LoopbackRedis("--requirepass", "s3cret");
        using var replica = new LoopbackRedis("--requirepass", "s3cret");
        master.Cli("s3cret", "SET", "k", "v");
        // A stale masterauth (a changed password) is replaced: it is the coordinator's, no other masteruser is named.
        replica.Cli("s3cret", "CONFIG", "SET", "masterauth", "stale");
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "", "s3cret", Timeout);
        await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout);
        ReplicationFacts? facts = null;
        // Redis 7 waits repl-diskless-sync-delay (5 s) before the first full sync: 15 s, not the 5 s this
        // loop had (it failed on a loaded host, as the test above did).
        for (var i = 0; i < 300 && facts is not { MasterLinkUp: true }; i++)
        {
            await Task.Delay(50);
            facts = (await node.ProbeAsync(Timeout)).Facts;
        }
        Assert.True(facts is { MasterLinkUp: true }, $"replication link never came up: {facts}");
        Assert.Equal("v", replica.Cli("s3cret", "GET", "k"));
    }

    [Fact]
    public async Task A_refused_CONFIG_for_masterauth_never_shows_the_password_and_REPLICAOF_is_sent()
    {
        using (var renamed = new LoopbackRedis("--requirepass", "s3cret", "--rename-command", "CONFIG", "\"\""))
        {
            await using var node = new StackExchangeRedisNode("127.0.0.1", renamed.Port, "", "s3cret", Timeout);
            var note = await node.ReplicaOfAsync("127.0.0.1", 1, Timeout);
            Assert.Contains("CONFIG GET masteruser", note);
            Assert.Equal(RedisRole.Replica, (await node.ProbeAsync(Timeout)).Facts!.Role);
        }
        // CONFIG GET allowed, CONFIG SET not: the refused command carried the password. (Redis 6.2 cannot remove one
        // subcommand, "-config|set": CONFIG is removed and CONFIG GET added back.)
        using var redis = new LoopbackRedis("--requirepass", "adminpw");
        Assert.Equal("OK", redis.Cli("adminpw", "ACL", "SETUSER", "ha", "on", ">s3cret", "+@all", "-config", "+config|get", "~*", "&*"));
        await using var limited = new StackExchangeRedisNode("127.0.0.1", redis.Port, "ha", "s3cret", Timeout);
        var refused = await limited.ReplicaOfAsync("127.0.0.1", 1, Timeout);
        Assert.Contains("CONFIG SET masterauth", refused);
        Assert.Contains("grant +config|set", refused);
        Assert.DoesNotContain("s3cret", refused);
        Assert.Equal(RedisRole.Replica, (await limited.ProbeAsync(Timeout)).Facts!.Role);
    }

    [Fact]
    public async Task One_INFO_per_section_as_Redis_6_2_needs_still_gives_keys_and_run_id()
    {
        using var redis = new LoopbackRedis();
        redis.Cli(null, "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout) { SingleSectionInfo = true };
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
        Assert.Equal(RedisRole.Master, probe.Facts!.Role);
        Assert.Equal(1, probe.Facts.Keys);
        Assert.Equal(40, probe.Facts.RunId.Length);
    }

    [Fact]
    public async Task SetMinReplicas_sets_both_values_with_single_parameter_CONFIG_SETs()
    {
        using var redis = new LoopbackRedis();
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        await node.SetMinReplicasAsync(1, 3, Timeout);
        Assert.Equal("min-replicas-to-write\n1", redis.Cli(null, "CONFIG", "GET", "min-replicas-to-write"));
        Assert.Equal("min-replicas-max-lag\n3", redis.Cli(null, "CONFIG", "GET", "min-replicas-max-lag"));
        await node.SetMinReplicasAsync(0, 1, Timeout);
        Assert.Equal("min-replicas-to-write\n0", redis.Cli(null, "CONFIG", "GET", "min-replicas-to-write"));
    }

    [Fact]
    public async Task The_permission_check_finds_nothing_refused_on_a_full_user_and_changes_nothing()
    {
        using var master = new LoopbackRedis();
        using var redis = new LoopbackRedis();
        redis.Cli(null, "REPLICAOF", "127.0.0.1", master.Port.ToString());
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        Assert.Empty(await node.CheckPermissionsAsync(Timeout));
        // Still a replica of the same master, and writes are not paused (a paused SET on the master would hang).
        var facts = (await node.ProbeAsync(Timeout)).Facts!;
        Assert.Equal((RedisRole.Replica, master.Port), (facts.Role, facts.MasterPort));
        await node.ReplicaOfNoOneAsync(Timeout);
        Assert.Equal("OK", redis.Cli(null, "SET", "k", "v"));
    }

    [Fact]
    public async Task With_CONFIG_renamed_REPLICAOF_still_works_and_min_replicas_fails_naming_the_fix()
    {
        using var master = new LoopbackRedis("--requirepass", "s3cret");
        // The operator set masterauth in the replica's config: the coordinator cannot (CONFIG is gone).
        using var replica = new LoopbackRedis("--requirepass", "s3cret", "--masterauth", "s3cret", "--rename-command", "CONFIG", "\"\"");
        master.Cli("s3cret", "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "", "s3cret", Timeout);

        var refused = await node.CheckPermissionsAsync(Timeout);
        Assert.Equal([("CONFIG SET", true), ("CONFIG GET", true)], refused.Select(r => (r.Command, r.Renamed)));

        var note = await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout);
        Assert.Contains("masterauth", note);
        Assert.DoesNotContain("s3cret", note);
        await WaitForLinkAsync(node, master.Port);
        Assert.Equal("v", replica.Cli("s3cret", "GET", "k"));
        // Said once: the next REPLICAOF does not try CONFIG again.
        Assert.Equal("", await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout));

        var e = await Assert.ThrowsAsync<RedisCommandException>(() => node.SetMinReplicasAsync(1, 1, Timeout));
        Assert.True(e.Refused);
        Assert.Contains("rename-command", e.Message);
        Assert.DoesNotContain("\n", e.Message);

        await node.ReplicaOfNoOneAsync(Timeout);
        Assert.Equal("OK", replica.Cli("s3cret", "SET", "k2", "v2"));
    }

    [Fact]
    public async Task An_ACL_user_without_CONFIG_still_promotes_and_follows_and_is_told_what_to_grant()
    {
        // The coordinator's user may run everything but CONFIG; replication has its own user.
        void Users(LoopbackRedis r)
        {
            r.Cli("adminpw", "ACL", "SETUSER", "ha", "on", ">hapw", "+@all", "-config", "~*", "&*");
            r.Cli("adminpw", "ACL", "SETUSER", "repl", "on", ">replpw", "+psync", "+replconf", "+ping");
        }
        using var master = new LoopbackRedis("--requirepass", "adminpw");
        using var replica = new LoopbackRedis("--requirepass", "adminpw", "--masteruser", "repl", "--masterauth", "replpw");
        Users(master);
        Users(replica);
        master.Cli("adminpw", "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "ha", "hapw", Timeout);

        var refused = await node.CheckPermissionsAsync(Timeout);
        Assert.Equal([("CONFIG SET", false), ("CONFIG GET", false)], refused.Select(r => (r.Command, r.Renamed)));
        Assert.StartsWith("redis user 'ha' may not run CONFIG SET, CONFIG GET: the min-replicas self-fence is off",
            RedisPermissions.Summary("ha", refused, guarded: true));
        Assert.EndsWith("grant +config|set +config|get", RedisPermissions.Summary("ha", refused, guarded: true));

        Assert.Contains("masterauth", await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout));
        await WaitForLinkAsync(node, master.Port);
        Assert.Equal("v", replica.Cli("adminpw", "GET", "k"));

        var e = await Assert.ThrowsAsync<RedisCommandException>(() => node.SetMinReplicasAsync(1, 1, Timeout));
        Assert.True(e.Refused);
        Assert.Contains("redis user 'ha' may not run CONFIG SET", e.Message);
        Assert.Contains("grant +config|set", e.Message);
        Assert.DoesNotContain("\n", e.Message);

        await node.ReplicaOfNoOneAsync(Timeout);
        Assert.Equal("OK", replica.Cli("adminpw", "SET", "k2", "v2"));
    }

    [Fact]
    public async Task The_documented_least_ACL_runs_every_command_and_the_library_asks_for_nothing_else()
    {
        string[] acl(string user, string password, string rules) => ["ACL", "SETUSER", user, "reset", "on", ">" + password, .. rules.Split(' ')];
        // Both redis.conf name the replication user (either may be the replica); the coordinator keeps it.
        using var master = new LoopbackRedis("--requirepass", "adminpw", "--masteruser", "repl", "--masterauth", "replpw");
        using var replica = new LoopbackRedis("--requirepass", "adminpw", "--masteruser", "repl", "--masterauth", "replpw");
        foreach (var r in new[] { master, replica })
        {
            Assert.Equal("OK", r.Cli("adminpw", acl("ha", "hapw", RedisPermissions.CoordinatorAcl)));
            Assert.Equal("OK", r.Cli("adminpw", acl("repl", "replpw", RedisPermissions.ReplicationAcl)));
        }
        master.Cli("adminpw", "SET", "k", "v");
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "ha", "hapw", Timeout);
        await using var old = new StackExchangeRedisNode("127.0.0.1", master.Port, "ha", "hapw", Timeout);

        Assert.Empty(await node.CheckPermissionsAsync(Timeout));
        Assert.Equal("", await node.ReplicaOfAsync("127.0.0.1", master.Port, Timeout));
        await WaitForLinkAsync(node, master.Port);
        Assert.Equal("v", replica.Cli("adminpw", "GET", "k"));
        // A hand-over: pause the old master, promote, re-point it, release and drop its clients.
        Assert.True((await old.ProbeAsync(Timeout)).Passed);
        await old.PauseWritesAsync(TimeSpan.FromSeconds(5), Timeout);
        await node.SetMinReplicasAsync(0, 1, Timeout);
        await node.ReplicaOfNoOneAsync(Timeout);
        await old.ReplicaOfAsync("127.0.0.1", replica.Port, Timeout);
        await old.UnpauseAndDisconnectClientsAsync(Timeout);
        await node.PauseWritesAsync(TimeSpan.FromSeconds(5), Timeout);
        await node.ResumeWritesAsync(Timeout);
        await WaitForLinkAsync(old, replica.Port);
        Assert.Equal("OK", replica.Cli("adminpw", "SET", "k2", "v2"));
        // Several heartbeats of the library.
        await Task.Delay(1500);
        Assert.True((await node.ProbeAsync(Timeout)).Passed);

        // Nothing the coordinator or its client library sent was denied.
        foreach (var r in new[] { master, replica })
        {
            var denied = r.Cli("adminpw", "ACL", "LOG");
            Assert.True(denied.Length == 0, $"denied: {denied.Replace('\n', ' ')}");
        }
    }

    [Fact]
    public async Task Connecting_and_checking_draw_no_error_reply_but_the_INFO_fallback_of_Redis_6_2()
    {
        // Redis counts every error reply, and an ACL user's refused command is an ACL LOG entry too: the client library
        // must not try commands a Redis may lack (CLIENT SETINFO is 7.2+; SENTINEL is Sentinel's). The one error allowed
        // is Redis 6.2's answer to the first several-section INFO, after which the node asks one section at a time.
        using var redis = new LoopbackRedis();
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        for (var i = 0; i < 3; i++) Assert.True((await node.ProbeAsync(Timeout)).Passed);
        await Task.Delay(300); // the library's fire-and-forget handshake commands have been answered
        var errors = Stat(redis.Cli(null, "INFO", "stats"), "total_error_replies");
        var infoFallback = Stat(redis.Cli(null, "INFO", "commandstats").Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_info:", StringComparison.Ordinal))?
            .Split(':', 2)[1].Replace(',', '\n').Replace('=', ':') ?? "", "failed_calls");
        Assert.True(errors == infoFallback, $"{errors} error replies, {infoFallback} from INFO: {redis.Cli(null, "INFO", "errorstats").Replace('\n', ' ')}");
        Assert.True(infoFallback <= 1, $"{infoFallback} failed INFOs");
    }

    private static long Stat(string info, string name) =>
        info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
            ? long.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    private static async Task WaitForLinkAsync(StackExchangeRedisNode node, int masterPort)
    {
        ReplicationFacts? facts = null;
        for (var i = 0; i < 200 && facts is not { MasterLinkUp: true }; i++)
        {
            await Task.Delay(50);
            facts = (await node.ProbeAsync(Timeout)).Facts;
        }
        Assert.True(facts is { MasterLinkUp: true } && facts.MasterPort == masterPort, $"replication link never came up: {facts}");
    }

    [Fact]
    public async Task A_replica_whose_master_is_gone_is_alive()
    {
        using var replica = new LoopbackRedis("--replica-serve-stale-data", "no");
        replica.Cli(null, "REPLICAOF", "127.0.0.1", LoopbackRedis.FreePort().ToString());
        await using var node = new StackExchangeRedisNode("127.0.0.1", replica.Port, "", "", Timeout);
        var probe = await node.ProbeAsync(Timeout);
        Assert.True(probe.Passed, probe.Error);
        Assert.Equal(RedisRole.Replica, probe.Facts!.Role);
        Assert.False(probe.Facts.MasterLinkUp);
    }

    [Fact]
    public async Task A_busy_Redis_fails_the_check()
    {
        // lua-time-limit: Redis 6.2's name; 7.x takes it as busy-reply-threshold's alias.
        using var redis = new LoopbackRedis("--lua-time-limit", "50");
        await using var node = new StackExchangeRedisNode("127.0.0.1", redis.Port, "", "", Timeout);
        var first = await node.ProbeAsync(Timeout);
        Assert.True(first.Passed, first.Error);
        // A runaway script: Redis answers BUSY to everything else until it is killed.
        var script = Task.Run(() => redis.Cli(null, "EVAL", "local i = 0 while true do i = i + 1 end", "0"));
        try
        {
            RedisProbe probe = new(true, null, "");
            for (var i = 0; i < 50 && probe.Passed; i++)
            {
                await Task.Delay(50);
                probe = await node.ProbeAsync(Timeout);
            }
            Assert.False(probe.Passed);
            Assert.Contains("BUSY", probe.Error);
        }
        finally
        {
            redis.Cli(null, "SCRIPT", "KILL");
            await script;
        }
    }
}
