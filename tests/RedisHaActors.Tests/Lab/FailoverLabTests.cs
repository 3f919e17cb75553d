using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Two real nodes, two real Redis, real VRRP packets in the namespace lab. Assert end states
/// and order with generous limits; timing figures belong in bench/.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class FailoverLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static void BootPair(NamespaceLab lab, bool preempt1, bool preempt2, string nodeExtra = "", params string[] redisArgs)
    {
        lab.StartRedis(1, redisArgs);
        lab.StartRedis(2, redisArgs);
        lab.StartNode(1, priority: 200, preempt: preempt1, nodeExtra);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        lab.StartNode(2, priority: 190, preempt: preempt2, nodeExtra);
        lab.WaitUntil(() => lab.Role(1) == "master" && lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1",
            Limit, "n1 master, n2 replica of n1");
        // A replica that never completed a sync is never promoted: every fault below needs n2's first sync
        // (Redis delays a diskless one by repl-diskless-sync-delay, 5 s).
        lab.WaitUntil(() => lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2's first sync from n1");
    }

    [Fact]
    public void Boot_gives_one_VIP_holder_whose_Redis_is_master_and_the_other_a_replica_of_it()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        // Started together: the election, not start order, decides.
        lab.StartNode(1, priority: 200, preempt: true);
        lab.StartNode(2, priority: 190, preempt: true);
        // Either node may win the first election (both Redis are empty); with preempt on, the
        // end state must be the higher priority n1 holding the VIP over a master Redis.
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master"
                            && lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1",
            Limit, "n1 holds the VIP over the master Redis, n2 a replica of it");
        Assert.Equal("OK", lab.WriteThroughVip("boot", "1"));
        // The VIP is a kernel lease (2 s, renewed), never a permanent address.
        var addr = NamespaceLab.Run("ip", ["-n", lab.Prefix + "n1", "-4", "addr", "show", "dev", "eth0"]);
        var vipLines = addr.Split('\n').SkipWhile(l => !l.Contains("192.0.2.100/24")).Take(2).ToArray();
        Assert.Matches(@"valid_lft [12]sec preferred_lft [012]sec", string.Join(" ", vipLines));
        // Akka's app.config probe (System.Configuration, about 8 MB RSS) is never started: the
        // host creates its actor system without it (HostedActorSystemFactory).
        foreach (var node in new[] { 1, 2 })
            Assert.DoesNotContain(lab.NodeMappedFiles(node), f => f.EndsWith("/System.Configuration.ConfigurationManager.dll", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, false)] // the article's nopreempt on both nodes
    [InlineData(false, true)]  // preempt on for the backup
    public void Killing_the_masters_Redis_moves_the_VIP_and_the_writable_master(bool preempt1, bool preempt2)
    {
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1, preempt2);
        Assert.Equal("OK", lab.WriteThroughVip("before", "1"));
        lab.WaitUntil(() => lab.RedisCli(2, "get", "before").Trim() == "1", Limit, "write replicated to n2");

        lab.KillRedis(1);

        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]), Limit, "VIP moves to n2 only");
        lab.WaitUntil(() => lab.Role(2) == "master", Limit, "n2's Redis becomes master");
        lab.WaitUntil(() => lab.WriteThroughVip("after", "2") == "OK", Limit, "writes through the VIP succeed");
        // Gratuitous ARP moved the client's entry for the VIP to n2's MAC (lab MACs end in the node index).
        Assert.Contains("02:00:00:00:00:02", NamespaceLab.Run("ip", ["-n", lab.Prefix + "c", "neigh", "show", "192.0.2.100"]));
        Assert.Equal("1", lab.RedisCli(2, "get", "before").Trim());
        var log1 = lab.NodeLog(1);
        var log2 = lab.NodeLog(2);
        Assert.Contains("MASTER -> BACKUP: yield", log1);
        Assert.Contains("BACKUP -> MASTER", log2);
        Assert.True(log2.IndexOf("BACKUP -> MASTER", StringComparison.Ordinal) < log2.IndexOf("replica -> master", StringComparison.Ordinal),
            "the VIP moved before the Redis role flipped\n" + log2);

        // Redis on n1 comes back (empty, as master): it must be made a replica of n2, and with
        // preempt off on n1 it must not take the VIP back.
        lab.StartRedis(1);
        lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "restarted n1 Redis re-pointed to n2");
        lab.WaitUntil(() => lab.RedisCli(1, "get", "after").Trim() == "2", Limit, "n1 resynced from n2");
        Assert.Equal([2], lab.VipHolders());
    }

    [Fact]
    public void A_restarted_empty_old_master_never_wipes_the_data_even_with_preempt_on()
    {
        using var lab = new NamespaceLab(output: output);
        // A short damping window: n1 may preempt back 5 s after the failover (the default 30 s is beyond this test's limits).
        BootPair(lab, preempt1: true, preempt2: true, "redis-ha.vrrp.failover-damping = 5s");
        for (var i = 0; i < 50; i++) Assert.Equal("OK", lab.WriteThroughVip($"k{i}", "v"));
        lab.WaitUntil(() => lab.RedisCli(2, "dbsize").Trim() == "50", Limit, "n2 has all 50 keys");

        lab.KillRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "failover to n2");
        lab.WaitUntil(() => lab.WriteThroughVip("during", "1") == "OK", Limit, "writable through the VIP");

        // Comes back empty and still a master (no persistence). n1 has the higher priority and
        // preempt on, so it may take the VIP back, but only with its Redis caught up.
        lab.StartRedis(1);
        lab.WaitUntil(() => lab.Role(1) == "slave", Limit, "restarted n1 Redis becomes a replica");
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 preempts once in sync");
        lab.WaitUntil(() => lab.Role(1) == "master" && lab.Role(2) == "slave", Limit, "roles follow the VIP");
        lab.WaitUntil(() => lab.WriteThroughVip("after", "1") == "OK", Limit, "writable through the VIP");
        Assert.Equal("52", lab.RedisCli(1, "dbsize").Trim());
        lab.WaitUntil(() => lab.RedisCli(2, "dbsize").Trim() == "52", Limit, "n2 keeps the data as n1's replica");
        Assert.Contains("preempt: priority 200 over master 192.0.2.2", lab.NodeLog(1));
        Assert.False(lab.NodeLog(1).Contains("does not answer"), lab.AllLogs());
    }

    [Theory]
    [InlineData(200, 5)] // Redis's default repl-diskless-sync-delay (s)
    [InlineData(500, 5)] // the longest check interval README promises this for
    public void A_master_Redis_restarted_empty_within_the_fall_window_is_noticed_by_run_id_and_its_replica_keeps_every_key(int checkMs, int syncDelay)
    {
        // No cluster guard: nothing but the monitor's run_id check protects the replica here. Diskless sync is
        // Redis 7's default and README's requirement on 6.2 (whose default, a sync from disk, hands the replica the
        // empty copy within a second, before any check can fence it).
        string[] redisArgs = ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", syncDelay.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1: false, preempt2: false, $"redis-ha.redis.check {{ interval = {checkMs}ms, timeout = 200ms }}", redisArgs);
        for (var i = 0; i < 30; i++) Assert.Equal("OK", lab.WriteThroughVip($"k{i}", "v"));
        lab.WaitUntil(() => lab.RedisCli(2, "dbsize").Trim() == "30", Limit, "n2 has all 30 keys");

        // Killed and started again at once, without persistence: empty and a master again,
        // faster than the check's fall window (2 checks).
        LabScenarios.RestartMasterRedisEmpty(lab, 30, Limit, redisArgs);
        var log1 = lab.NodeLog(1);
        // Noticed on the first check that answered. "restarted empty" (the hold) follows unless
        // the restart outlasted the fall window, when the failed checks had made n1 yield already.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(log1,
            @"redis \S+ restarted: run_id \w+ -> \w+, master_repl_offset \d+ -> \d+, keys \d+ -> 0"), log1);
        Assert.Contains("MASTER -> BACKUP", log1);
        Assert.Equal([2], lab.VipHolders());
    }

    [Fact]
    public void A_master_Redis_started_read_only_by_redis_conf_takes_no_write_after_an_empty_restart_and_its_replica_keeps_every_key()
    {
        // README's Redis configuration: replicaof 127.0.0.1 1, so every start is read-only until the
        // coordinator sets the role. No cluster guard.
        string[] fenced = ["--replicaof", LocalFenceHost, LocalFencePort];
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1: false, preempt2: false, "", fenced);
        for (var i = 0; i < 30; i++) Assert.Equal("OK", lab.WriteThroughVip($"k{i}", "v"));
        lab.WaitUntil(() => lab.RedisCli(2, "dbsize").Trim() == "30", Limit, "n2 has all 30 keys");
        lab.StartSampler(1);
        Thread.Sleep(500);

        using (var watch = new KeyCountWatch(lab, 2, floor: 30))
        {
            lab.KillRedis(1);
            var restartAt = NamespaceLab.NowMs();
            lab.StartRedis(1, fenced);
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 (with the data) promoted");
            // n2 has the 30 keys and every sampler write n1 took before the kill.
            lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2" && lab.RedisCli(1, "dbsize").Trim() == lab.RedisCli(2, "dbsize").Trim(),
                Limit, "n1's Redis resynced from n2");
            Thread.Sleep(1000);
            lab.StopSamplers();
            var acceptedAfter = lab.SamplerLog(1).Where(x => x.Ok && x.Ms >= restartAt).ToArray();
            output.WriteLine($"writes n1's restarted Redis accepted: {acceptedAfter.Length}; n2's key count drops: {watch.Drops.Count}");
            Assert.True(acceptedAfter.Length == 0, $"the restarted Redis accepted {acceptedAfter.Length} writes before its role was set");
            Assert.True(watch.Drops.Count == 0, $"n2's key count dropped: {string.Join(", ", watch.Drops)}");
        }
        Assert.Matches(@"restarted empty \(it had \d+ keys\)", lab.NodeLog(1));
        Assert.DoesNotContain("came back a master", lab.NodeLog(1));
    }

    [Fact]
    public void A_preemption_that_cannot_reach_the_old_masters_Redis_is_given_back_and_not_retried()
    {
        // n2 master; n1 (higher priority, preempt after 12 s) a linked replica. Then n1 stops hearing
        // n2's Redis (replication and probes), though its link still reads "up" (repl-timeout 60 s).
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(2, priority: 190, preempt: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 master");
        lab.StartNode(1, priority: 200, preempt: true, "redis-ha.vrrp.preempt-delay = 12s\nredis-ha.redis.sync-timeout = 2s");
        lab.WaitUntil(() => lab.RedisCli(1, "info", "replication").Contains("master_link_status:up"), Limit, "n1 linked to n2");
        var mark = lab.LogMark();
        lab.BlockInput(1, "-p", "tcp", "-s", "192.0.2.2", "--sport", "6379");
        lab.WaitUntil(() => lab.NodeLog(1).Contains("preemption given back", StringComparison.Ordinal), TimeSpan.FromSeconds(40), "n1 preempted and gave it back");
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]), Limit, "the VIP back on n2");
        Thread.Sleep(TimeSpan.FromSeconds(5)); // within the 60 s hold: no second attempt
        Assert.Equal([2], lab.VipHolders());
        Assert.Equal("master", lab.Role(2));
        Assert.Equal("slave", lab.Role(1)); // never promoted
        new FaultFigure("preemption-cannot-catch-up", "guard-off").CountedSince(lab, mark).Print(output);
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(lab.NodeLog(1), "redis role unchanged: preemption given back"));
        Assert.Equal("OK", lab.WriteThroughVip("after", "1"));
    }

    private const string LocalFenceHost = RedisHaActors.Redis.LocalFence.Host;
    private static readonly string LocalFencePort = RedisHaActors.Redis.LocalFence.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Each of the article's cases ends with one VIP holder whose Redis is the only master and the other Redis a replica of it.</summary>
    private static void WaitEndState(NamespaceLab lab, int holder, string when)
    {
        var other = 3 - holder;
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([holder]) && lab.Role(holder) == "master"
                            && lab.Role(other) == "slave" && lab.MasterHostOf(other) == $"192.0.2.{holder}",
            Limit, $"{when}: n{holder} holds the VIP over the only master, n{other}'s Redis a replica of it");
    }

    /// <summary>BootPair, then wait for the replica's first sync (Redis delays a diskless sync by 5 s): before it, every write is at risk.</summary>
    private static void BootSyncedPair(NamespaceLab lab, params string[] redisArgs)
    {
        BootPair(lab, preempt1: false, preempt2: false, "", redisArgs);
        lab.WaitUntil(() => lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2's first sync from n1");
    }

    [Fact]
    public void Case_3_with_both_nodes_as_an_unprivileged_user_with_two_capabilities_moves_the_VIP_without_loss()
    {
        // As the documented unit runs them: not root, CAP_NET_RAW and CAP_NET_ADMIN only, no new privileges.
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: false, unprivileged: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        lab.StartNode(2, priority: 190, preempt: false, unprivileged: true);
        lab.WaitUntil(() => lab.Role(1) == "master" && lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n1 master, n2 replica of n1");
        lab.WaitUntil(() => lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2's first sync from n1");
        var uid = NamespaceLab.Run("id", ["-u", NamespaceLab.Unprivileged]).Trim();
        foreach (var node in new[] { 1, 2 })
        {
            var (uids, caps) = lab.NodeCredentials(node);
            Assert.Equal($"{uid}\t{uid}\t{uid}\t{uid}", uids);
            Assert.Equal("0000000000003000", caps); // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), nothing else
        }
        using var writer = VipWriter.Start(lab);
        Thread.Sleep(1000);
        lab.KillRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
        Thread.Sleep(1000);
        var (acked, outage, readOnly) = writer.Stop();
        var (_, lost) = writer.Verify(2);
        output.WriteLine($"case 3, unprivileged nodes (uid {uid}, CAP_NET_RAW + CAP_NET_ADMIN): acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}");
        Assert.Equal(0, lost);
        Assert.Contains("MASTER -> BACKUP: yield", lab.NodeLog(1));
    }

    [Fact]
    public void Case_2_the_masters_node_killed_its_Redis_alive_moves_the_VIP_without_losing_an_acked_write()
    {
        using var lab = new NamespaceLab(output: output);
        try
        {
            BootSyncedPair(lab);
            using var writer = VipWriter.Start(lab);
            Thread.Sleep(1000);

            var mark = lab.LogMark();
            lab.KillNode(1); // kill -9 of redis-ha only: n1's Redis runs on as a master
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
            // n1's Redis answers: n2 pauses it, catches up, promotes, and re-points it before unpausing.
            lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "n1's Redis fenced as n2's replica without its coordinator");
            Thread.Sleep(1000);
            var (acked, outage, readOnly) = writer.Stop();
            var (_, lost) = writer.Verify(2);
            output.WriteLine($"case 2: acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}");
            new FaultFigure("case2-node-killed", "guard-off") { Lost = lost, Acked = acked, OutageMs = outage }.CountedSince(lab, mark).Print(output);
            Assert.True(acked > 100, $"the writer got {acked} acks");
            Assert.True(lost == 0, $"{lost} acked writes lost\n{lab.AllLogs()}");
            Assert.Contains("caught up with old master 192.0.2.1 at offset", lab.NodeLog(2), StringComparison.Ordinal);

            // The killed node comes back as a backup and leaves the VIP where it is (nopreempt).
            lab.StartNode(1, priority: 200, preempt: false);
            lab.WaitUntil(() => lab.NodeLog(1).Contains("check: INIT -> OK"), Limit, "restarted n1 checks its Redis");
            Thread.Sleep(2000);
            WaitEndState(lab, 2, "after n1 restarted");
        }
        finally
        {
        }
    }

    [Fact]
    public void Without_the_guard_the_operators_min_replicas_does_not_make_the_new_master_refuse_every_write_and_comes_back_with_a_replica()
    {
        // redis.conf asks for one replica per write. n1's node and Redis are killed: n2's only replica is gone.
        using var lab = new NamespaceLab(output: output);
        BootSyncedPair(lab, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10");
        lab.WaitUntil(() => lab.NodeLog(2).Contains("redis.conf's min-replicas-to-write 1 (max-lag 10 s) is kept", StringComparison.Ordinal),
            Limit, "n2 read the operator's setting");
        using var writer = VipWriter.Start(lab);
        Thread.Sleep(1000);
        lab.KillNodeAndRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
        Thread.Sleep(1000);
        var (acked, outage, readOnly) = writer.Stop();
        // A second writer through the VIP, after the takeover: the new master must take its writes.
        int after;
        string errors;
        using (var second = VipWriter.Start(lab))
        {
            Thread.Sleep(2000);
            (after, _, _) = second.Stop();
            errors = second.ErrorText;
        }
        var lowered = lab.RedisCli(2, "config", "get", "min-replicas-to-write");
        output.WriteLine($"unguarded, min-replicas-to-write 1, case 1: acked {acked} (longest outage {outage} ms, READONLY {readOnly}), " +
                         $"then {after} acked in 2 s after the takeover; n2 after promotion: {lowered.Replace('\n', ' ')}");
        // Before: NOREPLICAS for every write from the promotion on.
        Assert.True(after > 20, $"only {after} writes acked in 2 s after the takeover: the new master refused writes\n{errors}");
        Assert.EndsWith("\n0", lowered.Trim());
        Assert.Contains("redis.conf's min-replicas-to-write 1 set to 0 until 1 replica(s) are online again", lab.NodeLog(2));
        // n1 comes back as a replica: the operator's policy applies again on n2.
        lab.StartRedis(1, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10");
        lab.StartNode(1, priority: 200, preempt: false);
        WaitEndState(lab, 2, "after n1 and its Redis restarted");
        lab.WaitUntil(() => lab.RedisCli(2, "config", "get", "min-replicas-to-write").Trim().EndsWith("\n1", StringComparison.Ordinal)
                            && lab.RedisCli(2, "config", "get", "min-replicas-max-lag").Trim().EndsWith("\n10", StringComparison.Ordinal),
            Limit, "n2's min-replicas-to-write 1 / max-lag 10 restored");
        Assert.Contains("min-replicas-to-write 1 (max-lag 10 s) restored from the promotion's 0: 1 replica(s) online", lab.NodeLog(2));
    }

    [Fact]
    public void Case_1_the_masters_node_and_its_Redis_killed_promotes_at_once_and_any_loss_is_in_the_estimate()
    {
        using var lab = new NamespaceLab(output: output);
        try
        {
            BootSyncedPair(lab);
            using var writer = VipWriter.Start(lab);
            Thread.Sleep(1000);

            var mark = lab.LogMark();
            lab.KillNodeAndRedis(1);
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
            Thread.Sleep(1000);
            var (acked, outage, readOnly) = writer.Stop();
            var (_, lost) = writer.Verify(2);
            var log2 = lab.NodeLog(2);
            var estimate = System.Text.RegularExpressions.Regex.Match(log2, @"does not answer .*estimated loss (\d+) bytes");
            output.WriteLine($"case 1: acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}, log: {estimate.Value}");
            Assert.True(estimate.Success, "n2 logs the promotion without the old master and its loss estimate\n" + log2);
            // Asynchronous replication: a write acked in the last moment may not have reached n2. The estimate
            // (the old master's offset as last observed, about once a second, minus n2's) is compared with the loss.
            var estimated = long.Parse(estimate.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"case 1: lost {lost} writes (at least {lost * VipWriter.MinSetBytes} bytes), estimated loss {estimated} bytes");
            new FaultFigure("case1-node-and-redis-killed", "guard-off") { Lost = lost, Acked = acked, OutageMs = outage }.CountedSince(lab, mark).Print(output);
            Assert.True(VipWriter.WithinEstimate(lost, estimated),
                $"{lost} acked writes lost (at least {lost * VipWriter.MinSetBytes} bytes): beyond the estimate of {estimated} bytes " +
                $"plus one observation period of writes\n{log2}");
            // And none at all where the log promised none.
            Assert.True(lost == 0 || estimated > 0, $"{lost} acked writes lost with an estimate of 0 bytes\n{log2}");

            lab.StartRedis(1);
            lab.StartNode(1, priority: 200, preempt: false);
            WaitEndState(lab, 2, "after n1 and its Redis restarted");
            Thread.Sleep(2000);
            Assert.Equal([2], lab.VipHolders());
        }
        finally
        {
        }
    }

    [Fact]
    public void A_hung_master_Redis_loses_the_VIP_and_is_demoted_within_a_check_interval_of_waking()
    {
        using var lab = new NamespaceLab(output: output);
        try
        {
            BootSyncedPair(lab, LabBinaries.EnableDebugCommand);
            using var writer = VipWriter.Start(lab);
            Thread.Sleep(1000);

            // DEBUG SLEEP hangs the whole Redis for 3 s, as a long fork or a slow disk would. Its reply
            // marks the moment it wakes.
            var wokeAt = DateTime.MaxValue;
            var mark = lab.LogMark();
            var sleeper = new Thread(() =>
            {
                lab.RedisCli(1, "debug", "sleep", "3");
                wokeAt = DateTime.UtcNow;
            }) { IsBackground = true };
            sleeper.Start();
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 takes over from the hung master");
            Assert.True(sleeper.Join(TimeSpan.FromSeconds(10)), "DEBUG SLEEP returned");
            lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "the woken Redis is a replica of n2");
            var demotedAfter = DateTime.UtcNow - wokeAt;
            WaitEndState(lab, 2, "after the hung Redis woke");
            Thread.Sleep(1000);
            var (acked, outage, readOnly) = writer.Stop();
            var (_, lost) = writer.Verify(2);
            output.WriteLine($"hung master: acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}; " +
                             $"seen a replica {demotedAfter.TotalMilliseconds:0} ms after waking (check interval 200 ms; includes the polling)");
            new FaultFigure("hung-master-wakes", "guard-off") { Lost = lost, Acked = acked, OutageMs = outage }.CountedSince(lab, mark).Print(output);
            Assert.True(lost == 0, $"{lost} acked writes lost\n{lab.AllLogs()}");
            // Within one check interval of waking; the margin is the polling (a redis-cli per look) on 2 cores.
            Assert.True(demotedAfter < TimeSpan.FromMilliseconds(1500), $"a replica only {demotedAfter.TotalMilliseconds:0} ms after waking\n{lab.AllLogs()}");
        }
        finally
        {
        }
    }

    [Theory]
    [InlineData("30s", false)] // the default
    [InlineData("0s", false)]  // damping off: the storm it prevents
    [InlineData("30s", true)]  // the default, cluster guard on (2 data nodes + witness)
    public void Repeated_short_stalls_of_the_master_give_at_most_one_failover_per_damping_window(string damping, bool guard)
    {
        // Both nodes preempt. Three times, the VIP holder's Redis hangs for 1.5 s (DEBUG SLEEP, as a fork or a slow
        // fsync would; the check fails after about 0.6 s), 3 s apart.
        using var lab = new NamespaceLab(guard ? 3 : 2, output);
        var extra = $"redis-ha.vrrp.failover-damping = {damping}";
        if (guard)
        {
            lab.StartRedis(1, LabBinaries.EnableDebugCommand);
            lab.StartRedis(2, LabBinaries.EnableDebugCommand);
            lab.StartNode(1, 200, preempt: true, extra: extra + "\n" + lab.ClusterHocon(1, voters: 3, witness: false));
            lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master", Limit, "n1 holds the VIP over the master Redis");
            lab.StartNode(2, 190, preempt: true, extra: extra + "\n" + lab.ClusterHocon(2, voters: 3, witness: false));
        }
        else BootPair(lab, preempt1: true, preempt2: true, extra, LabBinaries.EnableDebugCommand);
        lab.WaitUntil(() => lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2's first sync from n1");
        using var writer = VipWriter.Start(lab);
        Thread.Sleep(1000);
        var mark = lab.LogMark();
        var stalled = new List<int>();
        for (var round = 0; round < 3; round++)
        {
            var holder = 0;
            lab.WaitUntil(() => lab.VipHolders() is [var only] && (holder = only) > 0, Limit, "one VIP holder to stall");
            stalled.Add(holder);
            lab.RedisCli(holder, "debug", "sleep", "1.5");
            Thread.Sleep(3000);
        }
        var holders = 0;
        lab.WaitUntil(() => lab.VipHolders() is [var h] && (holders = h) > 0 && lab.Role(h) == "master" && lab.Role(3 - h) == "slave",
            Limit, "one VIP holder over the master Redis, the other a replica");
        Thread.Sleep(1000);
        var (acked, outage, readOnly) = writer.Stop();
        var (_, lost) = writer.Verify(holders);
        // Every entry to MASTER after the boot is a failover.
        var figure = new FaultFigure($"3-short-stalls-damping-{damping}", guard ? "guard-on" : "guard-off") { Lost = lost, Acked = acked, OutageMs = outage }
            .CountedSince(lab, mark);
        figure.Print(output);
        var moves = figure.VipMoves;
        output.WriteLine($"failover-damping {damping}, guard {(guard ? "on" : "off")}, 3 stalls of 1.5 s (stalled n{string.Join(",n", stalled)}): {moves} failover(s), " +
                         $"acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}");
        Assert.True(lost == 0, $"{lost} acked writes lost\n{lab.AllLogs()}");
        if (damping == "0s")
            Assert.True(moves >= 2, $"without damping each stall of the holder moves the VIP; saw {moves} failovers\n{lab.AllLogs()}");
        else
        {
            Assert.True(moves == 1, $"{moves} failovers within the damping window\n{lab.AllLogs()}");
            Assert.Contains("damping: ", lab.NodeLog(2));
        }
    }

    [Fact]
    public void A_wrong_Redis_password_is_one_clear_log_line_and_the_node_stays_up_without_the_VIP()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1, "--requirepass", "right-password");
        lab.StartNode(1, priority: 200, preempt: true, extra: "redis-ha.redis.password = \"wrong-password\"");
        lab.WaitUntil(() => lab.NodeLog(1).Contains("authentication failed"), Limit, "the check reports the auth failure");
        Thread.Sleep(3000); // 15 check intervals and several Master_Down_Intervals
        Assert.True(lab.NodeRunning(1), lab.AllLogs());
        Assert.Empty(lab.VipHolders());
        var log = lab.NodeLog(1);
        Assert.Equal(1, log.Split('\n').Count(l => l.Contains("authentication failed")));
        Assert.DoesNotContain("Exception", log);
        Assert.DoesNotContain("BACKUP -> MASTER", log);
    }

    [Fact]
    public void A_master_whose_link_goes_down_enters_FAULT_fences_its_Redis_and_rejoins_as_a_replica()
    {
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1: false, preempt2: true);
        Assert.Equal("OK", lab.WriteThroughVip("before", "1"));

        lab.LinkDown(1);
        try
        {
            lab.WaitUntil(() => lab.NodeLog(1).Contains("MASTER -> FAULT"), Limit, "n1 enters FAULT");
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 takes over");
            // n1's Redis is fenced: read-only, data kept, although n1 cannot reach anyone.
            lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "127.0.0.1", Limit, "n1's Redis fenced");
            Assert.Equal("1", lab.RedisCli(1, "get", "before").Trim());
            Assert.StartsWith("READONLY", lab.RedisCli(1, "set", "x", "1").Trim());
            lab.WaitUntil(() => lab.WriteThroughVip("during", "1") == "OK", Limit, "writable through the VIP on n2");
        }
        finally
        {
            lab.LinkUp(1);
        }

        lab.WaitUntil(() => lab.NodeLog(1).Contains("FAULT -> BACKUP"), Limit, "n1 leaves FAULT");
        lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "n1 replicates n2");
        lab.WaitUntil(() => lab.RedisCli(1, "get", "during").Trim() == "1", Limit, "n1 has n2's writes");
        Assert.Equal([2], lab.VipHolders()); // preempt off on n1
    }

    [Fact]
    public void A_stale_VIP_left_on_a_node_is_removed_when_it_starts_as_backup()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        // A permanent VIP left behind on n2 (say by keepalived or a hand-made test).
        NamespaceLab.Run("ip", ["-n", lab.Prefix + "n2", "addr", "add", "192.0.2.100/24", "dev", "eth0"]);
        Assert.Equal([1, 2], lab.VipHolders());
        lab.StartNode(2, priority: 190, preempt: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n2 removed the stale VIP at start");
    }

    [Fact]
    public void After_a_VRRP_only_block_heals_the_rightful_master_keeps_the_VIP_and_reannounces_it()
    {
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1: true, preempt2: true);
        Assert.Equal("OK", lab.WriteThroughVip("before", "1"));
        // n2 stops hearing VRRP (the Redis link stays up): it takes over beside n1, a dual master.
        string[] vrrp = ["-p", "112"];
        lab.BlockInput(2, vrrp);
        try
        {
            lab.WaitUntil(() => lab.NodeLog(2).Contains("BACKUP -> MASTER"), Limit, "n2 takes over while deaf");
        }
        finally
        {
            lab.UnblockInput(2, vrrp);
        }
        // Healed: n2 hears n1's higher priority and steps down; n1 answered n2's adverts at once.
        lab.WaitUntil(() => lab.NodeLog(2).Contains("MASTER -> BACKUP: higher priority 200 from 192.0.2.1"), Limit, "n2 steps down");
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "the VIP only on n1");
        lab.WaitUntil(() => lab.Role(1) == "master" && lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "roles follow");
        lab.WaitUntil(() => lab.WriteThroughVip("after", "1") == "OK", Limit, "writable through the VIP");
        Assert.Contains("02:00:00:00:00:01", NamespaceLab.Run("ip", ["-n", lab.Prefix + "c", "neigh", "show", "192.0.2.100"]));
        Assert.Equal("1", lab.RedisCli(1, "get", "before").Trim());
    }

    [Fact]
    public async Task Gratuitous_ARP_follows_garp_master_repeat_delay_and_refresh()
    {
        using var lab = new NamespaceLab(nodes: 1, output: output);
        lab.StartRedis(1);
        // Capture ARP in the client namespace for a bounded time, from before the takeover.
        var capture = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ip",
            ["netns", "exec", lab.Prefix + "c", "timeout", "12", "tcpdump", "-i", "eth0", "-nn", "-l", "--immediate-mode", "arp"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            // "listening on eth0...": tcpdump is ready.
            await capture.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
            lab.StartNode(1, priority: 200, preempt: true,
                extra: "redis-ha.vrrp { garp-master-repeat = 3, garp-master-delay = 2s, garp-master-refresh = 3s }");
            var output = await capture.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var garps = output.Split('\n').Count(l => l.Contains("Request who-has 192.0.2.100 tell 192.0.2.100"));
            // Takeover 1-4 s into the 12 s capture: 3 at once, 3 more 2 s later, then 3 every 3 s.
            Assert.InRange(garps, 9, 21);
            Assert.Contains("BACKUP -> MASTER", lab.NodeLog(1));
        }
        finally
        {
            if (!capture.HasExited) capture.Kill(entireProcessTree: true);
            capture.Dispose();
        }
    }

    [Fact]
    public void A_password_protected_pair_fails_over_and_a_restarted_Redis_resyncs_with_masterauth()
    {
        using var lab = new NamespaceLab(output: output);
        const string password = "lab-s3cret";
        string Cli(int node, params string[] args) => lab.RedisCli(node, ["-a", password, "--no-auth-warning", .. args]).Trim();
        string RoleOf(int node) => Cli(node, "role").Split('\n')[0].Trim();
        lab.StartRedis(1, "--requirepass", password);
        lab.StartRedis(2, "--requirepass", password);
        var auth = $"redis-ha.redis.password = \"{password}\"";
        // n2 reads it from a file of its own (one line, the newline trimmed), as the README recommends.
        var passwordFile = Path.Combine(lab.OutDir, "redis.password");
        File.WriteAllText(passwordFile, password + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        lab.StartNode(1, priority: 200, preempt: false, extra: auth);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        lab.StartNode(2, priority: 190, preempt: false, extra: $"redis-ha.redis.password-file = \"{passwordFile}\"");
        lab.WaitUntil(() => RoleOf(2) == "slave" && Cli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2 syncs from n1 with AUTH");
        Assert.Equal("OK", Cli(1, "set", "before", "1"));
        // Replication is asynchronous: a write killed with its master before it reached the replica is a reported loss
        // (case 1's business); this test is about masterauth.
        lab.WaitUntil(() => Cli(2, "get", "before") == "1", Limit, "the write replicated to n2");

        lab.KillRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && RoleOf(2) == "master", Limit, "failover to n2");
        Assert.Equal("1", Cli(2, "get", "before"));

        lab.StartRedis(1, "--requirepass", password);
        lab.WaitUntil(() => RoleOf(1) == "slave" && Cli(1, "info", "replication").Contains("master_link_status:up"), Limit,
            "restarted n1 syncs from n2 (masterauth set by the node)");
        Assert.Equal("1", Cli(1, "get", "before"));
        Assert.DoesNotContain(password, lab.AllLogs());
    }

    [Fact]
    public void SIGTERM_of_the_master_hands_over_to_the_backup_and_removes_the_VIP()
    {
        using var lab = new NamespaceLab(output: output);
        BootPair(lab, preempt1: true, preempt2: true);

        var exit = lab.TerminateNode(1, TimeSpan.FromSeconds(15));

        Assert.Equal(0, exit);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]), Limit, "VIP only on n2");
        lab.WaitUntil(() => lab.Role(2) == "master", Limit, "n2's Redis becomes master");
        lab.WaitUntil(() => lab.WriteThroughVip("after-term", "1") == "OK", Limit, "writes through the VIP succeed");
        Assert.Contains("MASTER -> INITIALIZE: shutdown", lab.NodeLog(1));
        Assert.Contains("left (priority 0 advert)", lab.NodeLog(2));
    }
}
