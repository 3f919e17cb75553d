using System.Diagnostics;
using System.Globalization;
using LabWriter.Analysis;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// A master Redis that answers PING but refuses every write, with the cluster guard on, a writer through
/// the VIP and a sampler on each Redis: its disk full (RDB saves fail with stop-writes-on-bgsave-error yes:
/// MISCONF), or over maxmemory under noeviction (OOM). Its check fails with the cause, the VIP moves to the
/// healthy replica with no acknowledged write lost and never two writable masters, and the failed Redis
/// does not crash: a Redis that cannot persist is held read-only (not made a replica, which a Redis 7
/// replica panics on) until its disk is back, then follows the new master; one out of memory is demoted
/// as usual (a replica ignores maxmemory) and stays ineligible until memory is back. A replica with
/// replica-read-only no is reported in the log and in status. A master whose replica would refuse writes
/// too (the same maxmemory) keeps the VIP for reads, and hands over once the replica would take them.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class WritePathLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("misconf")]
    [InlineData("oom")]
    public void A_master_refusing_writes_hands_over_without_loss_and_is_not_demoted_into_a_crash(string kind)
    {
        using var lab = new NamespaceLab(3);
        // n1's Redis keeps its RDB on a small tmpfs of its own (mounted here, visible in its namespace).
        var disk = Path.Combine(lab.OutDir, "disk-n1");
        var mounted = false;
        try
        {
            if (kind == "misconf")
            {
                Directory.CreateDirectory(disk);
                NamespaceLab.Run("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", disk]);
                mounted = true;
                lab.StartRedis(1, "--dir", disk, "--save", "1", "1", "--stop-writes-on-bgsave-error", "yes");
            }
            else lab.StartRedis(1);
            lab.StartRedis(2);
            lab.StartNode(1, 200, preempt: true, extra: lab.ClusterHocon(1, voters: 3, witness: false));
            lab.StartNode(2, 190, preempt: true, extra: lab.ClusterHocon(2, voters: 3, witness: false));
            lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master"
                                && lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"),
                Limit, "n1 holds the VIP over the master Redis, n2's Redis synced from it");
            lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis at min-replicas-to-write 1");

            if (kind == "oom")
            {
                // A replica that takes writes is reported (asked every 10 s), then set back before the samplers start.
                lab.RedisCli(2, "config", "set", "replica-read-only", "no");
                lab.WaitUntil(() => lab.NodeLog(2).Contains("is a replica with replica-read-only no", StringComparison.Ordinal), Limit,
                    "n2 says its replica takes writes");
                Assert.Contains("replica-read-only NO: the read-only fence does not hold", lab.RedisHaCli(2, "status").Stdout);
                lab.RedisCli(2, "config", "set", "replica-read-only", "yes");
            }

            using var writer = VipWriter.Start(lab);
            lab.StartSampler(1);
            lab.StartSampler(2);
            Thread.Sleep(1000);
            var faultAt = NamespaceLab.NowMs();
            var mark = lab.LogMark();
            var fault = Stopwatch.StartNew();
            if (kind == "misconf")
                // Fill the disk: the next save (at most a second away) fails, and Redis refuses writes.
                NamespaceLab.Run("dd", ["if=/dev/zero", $"of={Path.Combine(disk, "fill")}", "bs=1M"], check: false);
            else
                lab.RedisCli(1, "config", "set", "maxmemory", "1");

            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
            var takeover = fault.Elapsed;
            lab.WaitUntil(() => lab.WriteThroughVip("after-failover", "1") == "OK", TimeSpan.FromSeconds(10), "the new master writable through the VIP");
            var cause = kind == "misconf" ? "write path refused: MISCONF rdb_last_bgsave_status:err" : "write path refused: OOM used_memory";
            Assert.Contains(cause, lab.NodeLog(1));
            var (_, status, _) = lab.RedisHaCli(1, "status");
            Assert.Contains(cause, status);

            if (kind == "misconf")
            {
                // Held read-only, not made a replica of n2 while its disk is full, and alive.
                lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "127.0.0.1", Limit, "n1's Redis held read-only");
                for (var i = 0; i < 20; i++)
                {
                    Assert.Equal("127.0.0.1", lab.MasterHostOf(1));
                    Thread.Sleep(100);
                }
                Assert.Equal([2], lab.VipHolders());
                // The disk is back: the next save passes, and n1 follows n2.
                File.Delete(Path.Combine(disk, "fill"));
            }
            else
            {
                // Demoted as usual (a replica ignores maxmemory), and not eligible while over it.
                lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "n1's Redis a replica of n2");
                Thread.Sleep(1000);
                Assert.Equal([2], lab.VipHolders());
                lab.RedisCli(1, "config", "set", "maxmemory", "0");
            }
            lab.WaitUntil(() => lab.NodeLog(1).Contains("write path back", StringComparison.Ordinal), Limit, "n1 says its write path is back");
            // n1 follows n2 and, eligible again with preempt on, may take the VIP back after syncing.
            lab.WaitUntil(() =>
            {
                var holders = lab.VipHolders();
                if (holders.Length != 1) return false;
                var h = holders[0];
                var o = h == 1 ? 2 : 1;
                return lab.Role(h) == "master" && lab.Role(o) == "slave" && lab.MasterHostOf(o) == $"192.0.2.{h}"
                       && lab.RedisCli(o, "info", "replication").Contains("master_link_status:up");
            }, Limit, "one VIP holder over the master Redis, the other a synced replica of it");
            Thread.Sleep(1000);
            var final = lab.VipHolders()[0];
            var (acked, outage, readOnly) = writer.Stop();
            lab.StopSamplers();
            var (_, lost) = writer.Verify(final);
            var s1 = lab.SamplerLog(1);
            var s2 = lab.SamplerLog(2);
            var dual = DualWritable.Intervals(s1, s2);
            var present = lab.RedisCli(final, "keys", NamespaceLab.SamplePrefix(1) + ":*")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            var samplerLost = ProbeKeys.Missing(s1, NamespaceLab.SamplePrefix(1), present);
            var figure = new FaultFigure($"write-path-{kind}", "guard-on")
            {
                TwoWritableMs = DualWritable.TotalMs(s1, s2), Lost = lost + samplerLost.Count, Acked = acked + lab.AcceptedAttempts(1).Count,
                OutageMs = outage,
            }.CountedSince(lab, mark);
            figure.Print(output);
            var roleChanges = figure.RoleChanges;
            var redisLog = File.ReadAllText(Path.Combine(lab.OutDir, "redis-n1.log"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kind}: VIP on n2 {takeover.TotalSeconds:0.00} s after the fault; writer acked {acked}, longest outage {outage} ms, READONLY {readOnly}, " +
                $"lost {lost}; n1 sampler acks lost {samplerLost.Count}; two writable masters {dual.Sum(d => d.End - d.Start)} ms; " +
                $"role changes after the fault (both logs, the switch back included) {roleChanges}; final master n{final}; " +
                $"n2 writable after {Takeover.SecondsUntilWritable(s2, faultAt)?.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s"));
            Assert.True(acked > 100, $"the writer got {acked} acks");
            Assert.True(lost == 0, $"{lost} acked writes lost");
            Assert.True(samplerLost.Count == 0, $"writes acknowledged by n1's Redis and missing on n{final}: {string.Join(",", samplerLost)}");
            Assert.True(dual.Count == 0, $"two writable masters: {string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}");
            Assert.True(takeover < TimeSpan.FromSeconds(15), $"the VIP moved only after {takeover.TotalSeconds:0.0} s");
            // Never crashed: one Redis process all along, no panic in its log.
            Assert.DoesNotContain("Guru Meditation", redisLog);
            Assert.DoesNotContain("panic", redisLog, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(1, redisLog.Split('\n').Count(l => l.Contains("Server initialized", StringComparison.Ordinal)));
        }
        finally
        {
            output.WriteLine(lab.AllLogs());
            // Lazy: n1's Redis may still have its working directory there.
            if (mounted) NamespaceLab.Run("umount", ["-l", disk], check: false);
        }
    }

    [Fact]
    public void A_master_out_of_memory_keeps_the_VIP_for_reads_while_its_replica_would_refuse_writes_too()
    {
        using var lab = new NamespaceLab(3);
        try
        {
            lab.StartRedis(1);
            lab.StartRedis(2);
            lab.StartNode(1, 200, preempt: true, extra: lab.ClusterHocon(1, voters: 3, witness: false));
            lab.StartNode(2, 190, preempt: true, extra: lab.ClusterHocon(2, voters: 3, witness: false));
            lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master"
                                && lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"),
                Limit, "n1 holds the VIP over the master Redis, n2's Redis synced from it");
            Assert.Equal("OK", lab.WriteThroughVip("before", "1"));
            lab.StartSampler(1);
            lab.StartSampler(2);
            // The same maxmemory on both, the dataset over it: n2 (a replica ignores maxmemory) would refuse writes once promoted.
            lab.RedisCli(2, "config", "set", "maxmemory", "1");
            lab.WaitUntil(() => lab.NodeLog(2).Contains("write path refused: OOM", StringComparison.Ordinal), Limit, "n2 says it would refuse writes");
            lab.RedisCli(1, "config", "set", "maxmemory", "1");
            lab.WaitUntil(() => lab.NodeLog(1).Contains("every online replica refuses writes too", StringComparison.Ordinal), Limit,
                "n1 keeps the VIP: its replica refuses writes too");
            for (var i = 0; i < 30; i++)
            {
                Assert.Equal([1], lab.VipHolders());
                Thread.Sleep(100);
            }
            // Reads go on through the VIP; writes are refused by Redis (OOM), not lost.
            Assert.Equal("1", ReadThroughVip(lab, "before"));
            Assert.StartsWith("OOM", lab.WriteThroughVip("during", "1"));
            // n2's memory is back: a hand-over gains writes now.
            var freedAt = Stopwatch.StartNew();
            lab.RedisCli(2, "config", "set", "maxmemory", "0");
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
            var takeover = freedAt.Elapsed;
            lab.WaitUntil(() => lab.WriteThroughVip("after", "1") == "OK", TimeSpan.FromSeconds(10), "the new master writable through the VIP");
            Assert.Equal("1", ReadThroughVip(lab, "before"));
            lab.StopSamplers();
            var dual = DualWritable.Intervals(lab.SamplerLog(1), lab.SamplerLog(2));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"oom on both: VIP kept on n1 while n2 refused too; on n2 {takeover.TotalSeconds:0.00} s after n2's memory was back; two writable masters {dual.Sum(d => d.End - d.Start)} ms"));
            Assert.True(dual.Count == 0, $"two writable masters: {string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}");
        }
        finally
        {
            output.WriteLine(lab.AllLogs());
        }
    }

    private static string ReadThroughVip(NamespaceLab lab, string key) =>
        NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "c", "timeout", "2", LabBinaries.RedisCli, "-h", LabConfig.Vip, "GET", key],
            TimeSpan.FromSeconds(5), check: false).Trim();
}
