using System.Globalization;
using LabWriter.Analysis;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Two data nodes and a witness with the cluster guard on, real Redis and real VRRP, and in each
/// data node a sampler that tries a write on its own Redis every 50 ms. End states and "never two
/// writable masters" are asserted; the timings belong to bench/partition.sh.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ClusterLabTests(ITestOutputHelper output)
{
    internal static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Fault = TimeSpan.FromSeconds(8);

    internal static void StartData(NamespaceLab lab, int node, int priority) =>
        lab.StartNode(node, priority, preempt: true, extra: lab.ClusterHocon(node, voters: 3, witness: false));

    internal static void StartWitness(NamespaceLab lab) =>
        lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));

    internal static void BootTrio(NamespaceLab lab, params string[] redisArgs)
    {
        lab.StartRedis(1, redisArgs);
        lab.StartRedis(2, redisArgs);
        StartData(lab, 1, 200);
        StartData(lab, 2, 190);
        StartWitness(lab);
        WaitSettled(lab, 1, "boot");
    }

    internal static void WaitSettled(NamespaceLab lab, int holder, string when)
    {
        var other = holder == 1 ? 2 : 1;
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([holder]) && lab.Role(holder) == "master"
                            && lab.Role(other) == "slave" && lab.MasterHostOf(other) == $"192.0.2.{holder}",
            Limit, $"{when}: n{holder} holds the VIP over the master Redis, n{other} a replica of it");
    }

    [Theory]
    [InlineData("isolate")]   // the master's switch port is disabled: really cut off
    [InlineData("sigstop")]   // the master's coordinator is frozen; its Redis still runs
    [InlineData("vrrp-block")] // only IP protocol 112 is dropped: the master is alive in the cluster
    public void A_fault_on_the_master_never_gives_two_writable_masters(string fault)
    {
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        // The replica is online (after Redis' diskless-sync delay) and the master fenced by min-replicas.
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis at min-replicas-to-write 1");
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(500);
        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        switch (fault)
        {
            case "isolate": lab.Isolate(1); break;
            case "sigstop": lab.Freeze(1); break;
            default: lab.BlockVrrp(1); break;
        }
        Thread.Sleep(Fault);
        switch (fault)
        {
            case "isolate": lab.Rejoin(1); break;
            case "sigstop": lab.Thaw(1); break;
            default: lab.UnblockVrrp(1); break;
        }
        var healedAt = NamespaceLab.NowMs();
        // After healing: one VIP holder, one master, the other a replica of it (n1 may preempt back).
        lab.WaitUntil(() =>
        {
            var holders = lab.VipHolders();
            if (holders.Length != 1) return false;
            var h = holders[0];
            var o = h == 1 ? 2 : 1;
            return lab.Role(h) == "master" && lab.Role(o) == "slave" && lab.MasterHostOf(o) == $"192.0.2.{h}";
        }, Limit, "healed: one VIP holder over the master Redis, the other a replica of it");
        Thread.Sleep(500);
        lab.StopSamplers();
        var s1 = lab.SamplerLog(1);
        var s2 = lab.SamplerLog(2);
        // An OK sample's write landed between the attempt's start and its reply; overlaps of those
        // windows are moments at which both Redis may have accepted a write (bench/partition.sh's figure).
        var dual = DualWritable.Intervals(s1, s2);
        var takeover = Takeover.SecondsUntilWritable(s2.Where(s => s.Ms < healedAt).ToArray(), faultAt);
        output.WriteLine($"{fault}: dual-writable intervals [{string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}], " +
                         $"n2 writable after {takeover?.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s");
        var (lostNow, ackedNow) = FaultFigure.SamplerLoss(lab, 1, 2);
        new FaultFigure($"master-{fault}", "guard-on")
        {
            TwoWritableMs = DualWritable.TotalMs(s1, s2), Lost = lostNow, Acked = ackedNow, OutageMs = (long?)(takeover * 1000),
        }.CountedSince(lab, mark).Print(output);
        Assert.True(s1.Count > 100 && s2.Count > 100, $"samplers ran ({s1.Count}, {s2.Count} samples)");
        if (fault == "sigstop")
        {
            // Exact for the paused hand-over: the old master's writes are paused before the new one
            // reads its final offset, so every write the old master acknowledged is on the new master;
            // one that is missing was accepted after the promotion (two writable masters). The
            // windows above are only an upper bound there (a reply can reach the sampler late).
            // n1 may be preempting back right now (a zero-loss hand-over): read a moment with one holder.
            var finalMaster = 0;
            lab.WaitUntil(() => lab.VipHolders() is [var only] && (finalMaster = only) > 0, Limit, "one VIP holder to read the keys from");
            var present = lab.RedisCli(finalMaster, "keys", NamespaceLab.SamplePrefix(1) + ":*")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            var accepted = lab.AcceptedAttempts(1);
            Assert.True(accepted.Count > 20, $"the old master acknowledged {accepted.Count} sampler writes");
            var lost = ProbeKeys.Missing(lab.SamplerLog(1), NamespaceLab.SamplePrefix(1), present);
            Assert.True(lost.Count == 0, $"writes acknowledged by the old master and missing on the new one: {string.Join(",", lost)}");
        }
        else
        {
            Assert.Empty(dual);
            // A cut-off master's Redis acknowledges writes only until its self-fence refuses them.
            var lostOnN1 = FaultFigure.SamplerMissing(lab, 1);
            Assert.True(FaultFigure.LostAfterFence(s1, lostOnN1, faultAt) == 0, $"n1's Redis acknowledged writes after its fence window that were lost: {string.Join(",", lostOnN1)}");
        }
        if (fault == "vrrp-block")
        {
            // Alive in the cluster: the backup warns and does not take over.
            Assert.Null(takeover);
            Assert.Contains("is up and reachable in the cluster: not taking over", lab.NodeLog(2));
        }
        else
        {
            Assert.NotNull(takeover);
            Assert.True(takeover < Fault.TotalSeconds, $"n2 took writes {takeover} s after the fault, before it healed");
        }
    }

    [Fact]
    public void Random_loss_on_the_VRRP_path_alone_never_moves_the_VIP_nor_changes_a_Redis_role()
    {
        // Half the VRRP adverts reaching the backup are dropped for 20 s (iptables statistic; Redis and the
        // cluster's TCP untouched): with 200 ms adverts, Master_Down_Interval runs out every few seconds.
        // The master is up and healthy in the cluster, so the backup must never take over.
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis fenced");
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(500);
        string[] loss = ["-p", "112", "-m", "statistic", "--mode", "random", "--probability", "0.5"];
        var mark = lab.LogMark();
        lab.BlockInput(2, loss);
        var observations = 0;
        var seen = new List<string>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20) && observations < 1000)
        {
            observations++;
            var holders = string.Join(",", lab.VipHolders());
            var roles = $"{lab.Role(1)}/{lab.Role(2)}";
            var state = $"VIP on {holders}, roles {roles}";
            if (seen.Count == 0 || seen[^1] != state) seen.Add(state);
            Thread.Sleep(200);
        }
        lab.UnblockInput(2, loss);
        Thread.Sleep(1000);
        lab.StopSamplers();
        var warned = NamespaceLab.Occurrences(lab.NodeLog(2), "is up and reachable in the cluster: not taking over");
        output.WriteLine($"VRRP loss 50 % on n2 for 20 s, guard on: {observations} observations, states seen: {string.Join(" | ", seen)}; " +
                         $"n2 held back by the cluster {warned} time(s) in its log (said once per silence)");
        var (lostLoss, ackedLoss) = FaultFigure.SamplerLoss(lab, 1, 2);
        new FaultFigure("vrrp-random-loss-50", "guard-on")
        {
            TwoWritableMs = DualWritable.TotalMs(lab.SamplerLog(1), lab.SamplerLog(2)), Lost = lostLoss, Acked = ackedLoss,
        }.CountedSince(lab, mark).Print(output);
        Assert.Equal(["VIP on 1, roles master/slave"], seen);
        Assert.True(warned > 0, "the 50 % loss never ran out n2's Master_Down_Interval: the test did not test the loss");
        Assert.DoesNotContain("MASTER -> BACKUP", lab.NodeLog(1));
        Assert.DoesNotContain("BACKUP -> MASTER", lab.NodeLog(2));
        Assert.Empty(DualWritable.Intervals(lab.SamplerLog(1), lab.SamplerLog(2)));
        Assert.Null(Takeover.SecondsUntilWritable(lab.SamplerLog(2), 0));
    }

    [Fact]
    public void Case_1_guarded_the_masters_node_and_Redis_killed_is_taken_over_without_waiting_for_the_failure_detector_or_the_fence()
    {
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis fenced");
        lab.StartSampler(2);
        Thread.Sleep(500);
        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        lab.KillNodeAndRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 took over");
        Thread.Sleep(500);
        lab.StopSamplers();
        var takeover = Takeover.SecondsUntilWritable(lab.SamplerLog(2), faultAt);
        output.WriteLine($"case 1, guard on: n2 writable {takeover?.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s after the kill");
        new FaultFigure("case1-node-and-redis-killed", "guard-on") { OutageMs = (long?)(takeover * 1000) }.CountedSince(lab, mark).Print(output);
        // Both ports refused: the promotion did not wait for a fence nothing can breach.
        // VRRP did not wait for the failure detector: the coordinator's port refused.
        Assert.Contains("master 192.0.2.1 is gone though the cluster still shows it up: its coordinator's 192.0.2.1:4053 refuses connections", lab.NodeLog(2));
        Assert.Contains("without waiting for its fence: its Redis 192.0.2.1:6379 and its coordinator's 192.0.2.1:4053 refuse connections", lab.NodeLog(2));
        Assert.NotNull(takeover);
    }

    [Fact]
    public void A_data_node_alone_never_takes_the_VIP_and_the_cluster_survives_kills_and_restarts()
    {
        using var lab = new NamespaceLab(3, output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        StartData(lab, 1, 200);
        // Alone: one of three voters, no quorum, no VIP, and its Redis refuses writes. Measured from the
        // node's first guard line, not from its launch (a loaded host takes seconds to start .NET).
        lab.WaitUntil(() => lab.NodeLog(1).Contains("not yet a cluster member", StringComparison.Ordinal), Limit, "n1 started");
        Thread.Sleep(TimeSpan.FromSeconds(6));
        Assert.Empty(lab.VipHolders());
        Assert.Contains("READONLY", lab.RedisCli(1, "set", "alone", "1"));
        Assert.Contains("not yet a cluster member", lab.NodeLog(1));

        // The witness makes a majority: n1 forms the cluster and takes the VIP.
        StartWitness(lab);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master", Limit, "n1 master once the witness is up");
        StartData(lab, 2, 190);
        WaitSettled(lab, 1, "n2 joined");

        // The witness killed with -9: two of three voters remain, the master keeps the VIP.
        lab.KillNode(3);
        Thread.Sleep(TimeSpan.FromSeconds(4));
        Assert.Equal([1], lab.VipHolders());
        Assert.Equal("OK", lab.WriteThroughVip("witness-gone", "1"));
        // Restarted at the same address: admitted again without an operator.
        StartWitness(lab);
        lab.WaitUntil(() => lab.NodeLog(3).Contains("quorum gained: sees 3 of 3 voters", StringComparison.Ordinal), Limit, "witness rejoined");
        // n1's own view of the restarted witness, then a second failure soon after: with Akka's default 5 s
        // gate on the address of a failed connection, n1 marked the rejoined witness unreachable again for
        // seconds (no heartbeat got through), and this kill lost quorum. cluster.conf gates for 1 s.
        lab.WaitUntil(() => LastQuorumLine(lab.NodeLog(1)).Contains("sees 3 of 3 voters", StringComparison.Ordinal), Limit, "n1 sees the witness again");
        Thread.Sleep(TimeSpan.FromSeconds(2));

        // The replica's node killed with -9 and restarted: it rejoins and follows n1 again.
        lab.KillNode(2);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal([1], lab.VipHolders());
        StartData(lab, 2, 190);
        lab.WaitUntil(() => lab.NodeLog(2).Contains("quorum gained: sees 3 of 3 voters", StringComparison.Ordinal), Limit, "n2 rejoined");
        WaitSettled(lab, 1, "n2 restarted");
        Assert.Equal("1", lab.RedisCli(2, "get", "witness-gone").Trim());
    }

    private static string LastQuorumLine(string log) =>
        log.Split('\n').LastOrDefault(l => l.Contains("redis-ha.cluster-guard", StringComparison.Ordinal) && l.Contains("quorum", StringComparison.Ordinal)) ?? "";

    [Fact]
    public void All_three_restarted_together_form_one_cluster_and_the_first_seed_is_not_needed()
    {
        using var lab = new NamespaceLab(3, output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        // n1, the first seed, stays down: n2 and the witness are a majority and form the cluster.
        StartData(lab, 2, 190);
        StartWitness(lab);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 master without the first seed");
        Assert.Contains("lowest address of 2 live voters: forming a new cluster", lab.NodeLog(2));
        StartData(lab, 1, 200);
        WaitSettled(lab, 1, "n1 joined and preempted");

        // All three killed and restarted together: one cluster, one master.
        lab.KillNode(1);
        lab.KillNode(2);
        lab.KillNode(3);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        StartData(lab, 1, 200);
        StartData(lab, 2, 190);
        StartWitness(lab);
        lab.WaitUntil(() => lab.NodeLog(2).Contains("sees 3 of 3 voters", StringComparison.Ordinal)
                            && lab.NodeLog(3).Contains("sees 3 of 3 voters", StringComparison.Ordinal), Limit, "one cluster of three");
        lab.WaitUntil(() => lab.VipHolders().Length == 1, Limit, "one VIP holder");
    }

    [Fact]
    public void Two_voters_in_availability_mode_survive_a_killed_peer_and_keep_the_VIP()
    {
        using var lab = new NamespaceLab(2, output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, 200, preempt: true, extra: lab.ClusterHocon(1, voters: 2, witness: false));
        lab.StartNode(2, 190, preempt: true, extra: lab.ClusterHocon(2, voters: 2, witness: false));
        WaitSettled(lab, 1, "boot");
        lab.WaitUntil(() => lab.NodeLog(2).Contains("quorum view: sees 2 of 2 voters", StringComparison.Ordinal)
                            || lab.NodeLog(2).Contains("sees 2 of 2 voters", StringComparison.Ordinal), Limit, "one cluster of two");
        Assert.Contains("two voters and no witness", lab.NodeLog(1));
        Assert.Equal("OK", lab.WriteThroughVip("before", "1"));
        lab.WaitUntil(() => lab.RedisCli(2, "get", "before").Trim() == "1", Limit, "replicated");

        // n1's coordinator killed with -9 (its Redis keeps running): n2 alone still has quorum in
        // availability mode, takes the VIP, and the split-brain resolver does not down it later.
        lab.KillNode(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 took over");
        lab.WaitUntil(() => lab.WriteThroughVip("after", "2") == "OK", Limit, "writes through the VIP");
        Thread.Sleep(TimeSpan.FromSeconds(10)); // past stable-after (7 s)
        Assert.Equal([2], lab.VipHolders());
        Assert.Equal("master", lab.Role(2));
        Assert.DoesNotContain("downed by the cluster", lab.NodeLog(2));
        // The old master's Redis, still answering, was made a replica of n2 (no second writable master).
        Assert.Equal("slave", lab.Role(1));
        Assert.Equal("1", lab.RedisCli(2, "get", "before").Trim());
    }

    [Fact]
    public void A_Redis_whose_coordinator_is_dead_is_fenced_by_the_master_whenever_it_answers_as_a_master()
    {
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        Assert.Equal("OK", lab.WriteThroughVip("k", "1"));
        lab.WaitUntil(() => lab.RedisCli(2, "get", "k").Trim() == "1", Limit, "replicated");

        // n1's coordinator dies for good; its Redis keeps running and is handed over to n2.
        lab.KillNode(1);
        WaitSettled(lab, 2, "n2 took over from the dead coordinator");

        // n1's Redis restarts as an empty, independent master with nobody on n1 to fix it: n2 fences it.
        lab.KillRedis(1);
        lab.StartRedis(1);
        lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "n1's Redis re-pointed by n2");
        Assert.Contains("fenced stray master 192.0.2.1:6379", lab.NodeLog(2));
        lab.WaitUntil(() => lab.RedisCli(1, "get", "k").Trim() == "1", Limit, "n1 resynced from n2");
        Assert.Equal("1", lab.RedisCli(2, "get", "k").Trim());
    }

    private static void WriteKeys(NamespaceLab lab, int node, int count)
    {
        for (var i = 0; i < count; i++)
            Assert.Equal("OK", lab.RedisCli(node, "set", $"data:{i}", i.ToString(CultureInfo.InvariantCulture)).Trim());
    }

    [Fact]
    public void Cold_boot_promotes_the_Redis_that_has_the_data_not_the_empty_higher_priority_one()
    {
        using var lab = new NamespaceLab(3, output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        WriteKeys(lab, 2, 20); // n2's Redis has the data, n1's (priority 200) is empty
        StartData(lab, 1, 200);
        StartData(lab, 2, 190);
        StartWitness(lab);
        // Whoever ends up master (n1 may preempt once it has synced), the data survives everywhere.
        lab.WaitUntil(() =>
        {
            var holders = lab.VipHolders();
            if (holders.Length != 1) return false;
            var h = holders[0];
            var o = h == 1 ? 2 : 1;
            return lab.Role(h) == "master" && lab.Role(o) == "slave" && lab.MasterHostOf(o) == $"192.0.2.{h}"
                   && lab.RedisCli(h, "dbsize").Trim() == "20" && lab.RedisCli(o, "dbsize").Trim() == "20";
        }, Limit, "one master with the 20 keys, the other a replica with them too");
        Assert.Contains("not eligible for MASTER: own Redis is empty and n2's Redis has 20 keys", lab.NodeLog(1));
    }

    [Fact]
    public void A_master_Redis_restarted_empty_within_the_fall_window_never_wipes_its_replica()
    {
        // Diskless sync (Redis 7's default; README's requirement on 6.2): see FailoverLabTests' guard-off twin.
        string[] redisArgs = ["--repl-diskless-sync", "yes"];
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab, redisArgs);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "replica online");
        WriteKeys(lab, 1, 30);
        lab.WaitUntil(() => lab.RedisCli(2, "dbsize").Trim() == "30", Limit, "replicated");

        // Restarted at once, without persistence: empty and master again, faster than the check's fall window.
        LabScenarios.RestartMasterRedisEmpty(lab, 30, Limit, redisArgs);
        Assert.Contains("restarted: run_id", lab.NodeLog(1));
    }

    [Fact]
    public void Switchover_hands_the_VIP_to_the_named_replica_without_losing_an_acked_write()
    {
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "replica online");

        var (exit, _, stderr) = lab.RedisHaCli(2, "switchover", "--to", "n1", "--config", lab.NodeConfig(2));
        Assert.Equal(1, exit);
        Assert.Contains("refused: this node is not the master", stderr);
        (exit, _, stderr) = lab.RedisHaCli(1, "switchover", "--to", "n3", "--config", lab.NodeConfig(1));
        Assert.Equal(1, exit);
        Assert.Contains("refused: n3 is a witness", stderr);
        // Refused before anything moves: no token (no --config), and what a web page could send (a form
        // post, even one carrying the token; any request with an Origin).
        (exit, _, stderr) = lab.RedisHaCli(1, "switchover", "--to", "n2");
        Assert.Equal(1, exit);
        Assert.Contains("(401)", stderr);
        string[] code = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", $"Authorization: Bearer {lab.NodeToken(1)}"];
        Assert.Equal("415", lab.Curl(1, [.. code, "-d", "to=n2", "http://127.0.0.1:9680/switchover?to=n2"]));
        Assert.Equal("403", lab.Curl(1, [.. code, "-X", "POST", "-H", "Content-Length: 0", "-H", "Origin: http://evil.example", "http://127.0.0.1:9680/switchover?to=n2"]));
        Assert.Equal([1], lab.VipHolders());
        Assert.Contains("POST /switchover from 127.0.0.1:", lab.NodeLog(1));

        // Writes through the VIP all along; every acked one must be on the new master.
        var acked = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            for (var i = 0; i < 10_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    if (lab.WriteThroughVip($"sw:{i}", "1") == "OK") acked.Add(i);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
            }
        });
        writer.Start();
        Thread.Sleep(1000);
        var (done, stdout, err) = lab.RedisHaCli(1, "switchover", "--to", "n2", "--config", lab.NodeConfig(1));
        Thread.Sleep(1000);
        stop.Cancel();
        Assert.True(writer.Join(TimeSpan.FromSeconds(30)), "writer stopped");
        output.WriteLine(stdout + err);
        Assert.True(done == 0, $"switchover exit {done}: {err}");
        Assert.Contains("switchover to n2 done", stdout);
        WaitSettled(lab, 2, "after the switchover");
        Assert.True(acked.Count > 10, $"the writer got {acked.Count} acks");
        var missing = acked.Where(i => lab.RedisCli(2, "exists", $"sw:{i}").Trim() != "1").ToArray();
        Assert.Empty(missing);
        // n1 (priority 200, preempt on) does not take the VIP back.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        Assert.Equal([2], lab.VipHolders());
    }

    [Fact]
    public void A_switchover_whose_target_cannot_catch_up_aborts_with_writes_resumed_on_the_old_master()
    {
        using var lab = new NamespaceLab(3, output);
        BootTrio(lab);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "replica online");
        // n2's replication stream stalls (what n1's Redis sends it is dropped) while its link
        // still counts as up (repl-timeout is 60 s): it can no longer catch up.
        string[] fromMaster = ["-p", "tcp", "-s", "192.0.2.1", "--sport", "6379"];
        lab.BlockInput(2, fromMaster);
        try
        {
            // min-replicas-max-lag is 1 s: these are accepted while n2's last ack is still fresh.
            for (var i = 0; i < 5; i++) Assert.Equal("OK", lab.WriteThroughVip($"ahead:{i}", "1"));
            var (exit, stdout, stderr) = lab.RedisHaCli(1, "switchover", "--to", "n2", "--config", lab.NodeConfig(1));
            output.WriteLine(stdout + stderr);
            Assert.Equal(1, exit);
            Assert.Contains("aborted", stdout + stderr);
            Assert.Contains("within sync-timeout", stdout + stderr);
            // Nothing changed: n1 keeps the VIP and its Redis is an unpaused master.
            Assert.Equal([1], lab.VipHolders());
            Assert.Equal("master", lab.Role(1));
            Assert.Equal("1", lab.RedisCli(1, "get", "ahead:4").Trim());
        }
        finally
        {
            lab.UnblockInput(2, fromMaster);
        }
        // Healed: the replica catches up, writes go through the VIP again, n1 still the master.
        lab.WaitUntil(() => lab.RedisCli(2, "get", "ahead:4").Trim() == "1", Limit, "n2 caught up after the heal");
        lab.WaitUntil(() => lab.WriteThroughVip("after", "1") == "OK", Limit, "writes through the VIP on n1");
        WaitSettled(lab, 1, "after the aborted switchover");
        Assert.Contains("switchover aborted: ", lab.NodeLog(1));
    }
}
