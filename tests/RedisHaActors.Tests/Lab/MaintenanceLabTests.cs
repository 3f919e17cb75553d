using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Reload and maintenance mode on the guarded trio (two data nodes and a witness), under the lab's writer (one SET
/// every 10 ms through the VIP): a reload on the master and a paused restart of the master's coordinator move
/// nothing and lose nothing. The writer's longest gap is printed with a quiet baseline of the same writer
/// (bench/README.md, "Reload and maintenance mode").
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class MaintenanceLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = ClusterLabTests.Limit;

    /// <summary>VRRP state changes a node logged ("BACKUP -> MASTER: ...").</summary>
    private static int Transitions(string log) => TransitionLine().Count(log);

    /// <summary>Redis role changes a node's role flipper carried out.</summary>
    private static int RoleChanges(string log) => Regex.Count(log, "redis role: ");

    [GeneratedRegex(@"\b(INITIALIZE|BACKUP|MASTER|FAULT) -> (INITIALIZE|BACKUP|MASTER|FAULT): ")]
    private static partial Regex TransitionLine();

    /// <summary>Polls the VIP holders every 100 ms on a thread of its own until disposed; keeps every change of the holder set.</summary>
    private sealed class HolderWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private readonly ConcurrentQueue<(string At, int[] Holders)> _changes = new();

        public HolderWatch(NamespaceLab lab, int holder)
        {
            _thread = new Thread(() =>
            {
                int[] last = [holder];
                for (var i = 0; i < 100_000 && !_stop.IsCancellationRequested; i++)
                {
                    var now = lab.VipHolders();
                    if (!now.SequenceEqual(last)) _changes.Enqueue(($"{DateTime.UtcNow:HH:mm:ss.fff}", now));
                    last = now;
                    Thread.Sleep(100);
                }
            });
            _thread.Start();
        }

        /// <summary>Each change of the holder set, as "time [holders]".</summary>
        public IReadOnlyList<string> Changes => _changes.Select(c => $"{c.At} [{string.Join(",", c.Holders)}]").ToArray();

        /// <summary>How often the VIP went to a single holder other than the last single holder.</summary>
        public int Moves(int first)
        {
            var (moves, last) = (0, first);
            foreach (var (_, holders) in _changes)
                if (holders is [var only] && only != last) (moves, last) = (moves + 1, only);
            return moves;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    private long Baseline(NamespaceLab lab)
    {
        using var quiet = VipWriter.Start(lab, "b");
        Thread.Sleep(TimeSpan.FromSeconds(5));
        var (acked, longest, _) = quiet.Stop();
        output.WriteLine($"baseline: writer alone for 5 s: {acked} acks, longest gap {longest} ms");
        return longest;
    }

    private string Status(NamespaceLab lab, int node) => lab.Curl(node, "-s", "http://127.0.0.1:9680/status");

    [Fact]
    public void A_reload_on_the_master_applies_safe_keys_without_moving_the_VIP_and_reports_restart_only_keys()
    {
        using var lab = new NamespaceLab(3, output);
        ClusterLabTests.BootTrio(lab);
        var baseline = Baseline(lab);
        var (t1, t2) = (Transitions(lab.NodeLog(1)), Transitions(lab.NodeLog(2)));
        var (r1, r2) = (RoleChanges(lab.NodeLog(1)), RoleChanges(lab.NodeLog(2)));
        using var writer = VipWriter.Start(lab);
        HolderWatch watch;
        using (watch = new HolderWatch(lab, 1))
        {
            Thread.Sleep(1000);
            // Safe keys, through the CLI (the control API with the token): applied at once.
            File.AppendAllText(lab.NodeConfig(1), "\nredis-ha.vrrp.priority = 210\nredis-ha.redis.check.weight = -30\nredis-ha.redis.sync-timeout = 6s\n");
            var (exit, stdout, stderr) = lab.RedisHaCli(1, "reload", "--config", lab.NodeConfig(1));
            output.WriteLine($"reload: exit {exit}: {stdout}{stderr}");
            Assert.Equal(0, exit);
            Assert.Contains("redis-ha.vrrp.priority: 200 -> 210", stdout);
            Assert.Contains("redis-ha.redis.check.weight: -20 -> -30", stdout);
            Assert.DoesNotContain("pending restart", stdout);
            // The master advertises the new priority; the backup hears it (no state change anywhere).
            lab.WaitUntil(() => Status(lab, 1).Contains("\"priority\": 210", StringComparison.Ordinal), Limit, "n1 advertises priority 210");

            // A restart-only key, by SIGHUP (systemctl reload): reported pending in the log and in status.
            File.AppendAllText(lab.NodeConfig(1), "\nredis-ha.vrrp.advert-interval = 300ms\nredis-ha.vrrp.priority = 220\n");
            lab.SignalNode(1, "HUP");
            lab.WaitUntil(() => lab.NodeLog(1).Contains("pending restart: redis-ha.vrrp.advert-interval", StringComparison.Ordinal), Limit, "the pending key logged");
            Assert.Contains("redis-ha.vrrp.priority: 210 -> 220", lab.NodeLog(1));
            var status = lab.RedisHaCli(1, "status", "--config", lab.NodeConfig(1)).Stdout;
            output.WriteLine(status);
            Assert.Contains("config: pending restart: redis-ha.vrrp.advert-interval", status);
            Assert.Contains("\nredis_ha_config_pending_restart 1\n", lab.Curl(1, "-s", "http://127.0.0.1:9680/metrics"));

            // A bad file is refused with the one-line error; the running configuration stays.
            File.AppendAllText(lab.NodeConfig(1), "\nredis-ha.vrrp.priority = 999\n");
            (exit, stdout, stderr) = lab.RedisHaCli(1, "reload", "--endpoint", "127.0.0.1:9680", "--config", lab.NodeConfig(1));
            // --config itself no longer loads (the CLI reads the token from it): the CLI says so, as check-config does.
            output.WriteLine($"bad reload: exit {exit}: {stdout}{stderr}");
            Assert.NotEqual(0, exit);
            Assert.Contains("redis-ha.vrrp.priority", stderr);
            lab.SignalNode(1, "HUP");
            lab.WaitUntil(() => lab.NodeLog(1).Contains("reload refused, the running configuration stays", StringComparison.Ordinal), Limit, "the bad file refused");
            Assert.True(lab.NodeRunning(1));
            Assert.Contains("\"priority\": 220", Status(lab, 1));
            Thread.Sleep(1000);
        }
        var (ackedCount, longest, readOnly) = writer.Stop();
        var (_, lost) = writer.Verify(1);
        output.WriteLine($"reload under the writer: {ackedCount} acks, longest gap {longest} ms (baseline {baseline} ms), {readOnly} READONLY, {lost} lost");
        Assert.Empty(watch.Changes);
        Assert.Equal((t1, t2), (Transitions(lab.NodeLog(1)), Transitions(lab.NodeLog(2))));
        Assert.Equal((r1, r2), (RoleChanges(lab.NodeLog(1)), RoleChanges(lab.NodeLog(2))));
        Assert.Equal(0, lost);
        Assert.Equal(0, readOnly);
        // No outage: the longest gap stays within the writer's own jitter (generous bound for a loaded 2-core host).
        Assert.True(longest <= Math.Max(3 * baseline, 300), $"longest gap {longest} ms, baseline {baseline} ms");
    }

    [Fact]
    public void Paused_the_masters_coordinator_killed_and_restarted_moves_nothing_and_loses_no_acked_write()
    {
        using var lab = new NamespaceLab(3, output);
        ClusterLabTests.BootTrio(lab);
        var baseline = Baseline(lab);

        // Any node's control API takes it; every node says so.
        var (exit, stdout, stderr) = lab.RedisHaCli(2, "pause", "--config", lab.NodeConfig(2));
        output.WriteLine($"pause: exit {exit}: {stdout}{stderr}");
        Assert.Equal(0, exit);
        foreach (var node in new[] { 1, 2, 3 })
            lab.WaitUntil(() => lab.Curl(node, "-s", "http://127.0.0.1:9680/metrics").Contains("\nredis_ha_paused 1\n", StringComparison.Ordinal), Limit, $"n{node} says paused");
        // The text comes from the same status as /metrics; a read without the line is printed, so a transient one shows.
        lab.WaitUntil(() =>
        {
            var text = lab.RedisHaCli(1, "status").Stdout;
            if (text.Contains("maintenance: PAUSED (by n2", StringComparison.Ordinal)) return true;
            output.WriteLine($"n1 status without the PAUSED line:\n{text}");
            return false;
        }, Limit, "n1's status says PAUSED by n2");
        // A switchover is a role change: refused while paused.
        (exit, _, stderr) = lab.RedisHaCli(1, "switchover", "--to", "n2", "--config", lab.NodeConfig(1));
        Assert.Equal(1, exit);
        Assert.Contains("paused", stderr);

        var t2 = Transitions(lab.NodeLog(2));
        var r2 = RoleChanges(lab.NodeLog(2));
        using var writer = VipWriter.Start(lab);
        HolderWatch watch;
        string restartedLog;
        using (watch = new HolderWatch(lab, 1))
        {
            Thread.Sleep(1000);
            lab.KillNode(1);
            // Far longer than the 2 s lease and n2's Master_Down_Interval (0.8 s).
            Thread.Sleep(TimeSpan.FromSeconds(5));
            Assert.Equal([1], lab.VipHolders());
            Assert.Equal("master", lab.Role(1));
            Assert.Equal("slave", lab.Role(2));

            ClusterLabTests.StartData(lab, 1, 200);
            lab.WaitUntil(() => Transitions(lab.NodeLog(1)) >= 2 && lab.NodeLog(1).Contains("-> MASTER", StringComparison.Ordinal), Limit, "the restarted n1 is VRRP MASTER again");
            Assert.Contains("started in maintenance mode", lab.NodeLog(1));
            // resume needs a live holder in n2's view: n1's new incarnation must be a member again (the killed one is
            // downed first, about stable-after later) and have gossiped its MASTER state; the old one's entry does not count.
            WaitAllVoters(lab, 2);
            lab.WaitUntil(() => lab.RedisHaCli(2, "status").Stdout.Contains("peer:   n1 MASTER", StringComparison.Ordinal), Limit, "n2 sees n1 MASTER");

            (exit, stdout, stderr) = lab.RedisHaCli(2, "resume", "--config", lab.NodeConfig(2));
            output.WriteLine($"resume: exit {exit}: {stdout}{stderr}");
            Assert.Equal(0, exit);
            lab.WaitUntil(() => lab.Curl(1, "-s", "http://127.0.0.1:9680/metrics").Contains("\nredis_ha_paused 0\n", StringComparison.Ordinal), Limit, "n1 says resumed");
            // Past a lease, so a VIP renewed with the normal lifetime again would show a lapse.
            Thread.Sleep(3000);
            restartedLog = lab.NodeLog(1);
        }
        var (ackedCount, longest, readOnly) = writer.Stop();
        var (_, lost) = writer.Verify(1);
        output.WriteLine($"paused restart under the writer: {ackedCount} acks, longest gap {longest} ms (baseline {baseline} ms), {readOnly} READONLY, {lost} lost");
        Assert.Empty(watch.Changes);
        Assert.Equal(t2, Transitions(lab.NodeLog(2)));
        Assert.Equal(r2, RoleChanges(lab.NodeLog(2)));
        Assert.Equal(0, RoleChanges(restartedLog));
        Assert.Equal("master", lab.Role(1));
        Assert.Equal("slave", lab.Role(2));
        Assert.Equal(0, lost);
        Assert.Equal(0, readOnly);
        Assert.True(longest <= Math.Max(3 * baseline, 300), $"longest gap {longest} ms, baseline {baseline} ms");
    }

    /// <summary>Until <paramref name="asked"/> sees all three voters (a restarted one is a member again).</summary>
    private static void WaitAllVoters(NamespaceLab lab, int asked) =>
        lab.WaitUntil(() => lab.Curl(asked, "-s", "http://127.0.0.1:9680/status").Contains("\"reachableVoters\": 3", StringComparison.Ordinal),
            Limit, $"n{asked} sees all three voters");

    [Fact]
    public void A_rolling_upgrade_from_the_previous_build_under_a_writer_loses_nothing_and_the_paused_roll_moves_nothing()
    {
        var previous = LabBinaries.PreviousCoordinatorDll();
        output.WriteLine($"previous build: {previous}");
        using var lab = new NamespaceLab(3, output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        // The previous release has no cluster TLS: the roll keeps its configuration (plain TCP); TLS is turned on
        // afterwards, with every node on this version.
        void Start(int node, int priority, string? dll) =>
            lab.StartNode(node, priority, preempt: true, extra: lab.ClusterHocon(node, voters: 3, witness: node == 3, tls: false), coordinatorDll: dll);
        Start(1, 200, previous);
        Start(2, 190, previous);
        Start(3, 100, previous);
        ClusterLabTests.WaitSettled(lab, 1, "boot on the previous build");
        var baseline = Baseline(lab);
        using var writer = VipWriter.Start(lab);

        // Old to new, one node at a time; the old master cannot pause, so its stop is the clean hand-over.
        HolderWatch roll;
        using (roll = new HolderWatch(lab, 1))
        {
            foreach (var (node, priority) in new[] { (3, 100), (2, 190), (1, 200) })
            {
                lab.TerminateNode(node, TimeSpan.FromSeconds(15));
                Start(node, priority, null);
                // Mixed versions gossip and elect together: back to n1 over the master Redis, n2 its replica.
                ClusterLabTests.WaitSettled(lab, 1, $"n{node} upgraded");
                WaitAllVoters(lab, node == 1 ? 2 : 1);
                lab.WaitUntil(() => lab.Curl(node, "-s", "http://127.0.0.1:9680/metrics").Contains("\nredis_ha_paused 0\n", StringComparison.Ordinal),
                    Limit, $"n{node} runs the new build and knows the set is not paused");
            }
        }
        output.WriteLine($"old -> new roll: VIP changes {string.Join(", ", roll.Changes)}");

        // New to new, paused: SIGTERM and restart of every coordinator, the master's included, moves nothing.
        var (exit, stdout, stderr) = lab.RedisHaCli(1, "pause", "--config", lab.NodeConfig(1));
        Assert.True(exit == 0, stdout + stderr);
        foreach (var node in new[] { 1, 2, 3 })
            lab.WaitUntil(() => lab.Curl(node, "-s", "http://127.0.0.1:9680/metrics").Contains("\nredis_ha_paused 1\n", StringComparison.Ordinal), Limit, $"n{node} says paused");
        HolderWatch paused;
        using (paused = new HolderWatch(lab, 1))
        {
            foreach (var (node, priority) in new[] { (3, 100), (2, 190), (1, 200) })
            {
                lab.TerminateNode(node, TimeSpan.FromSeconds(15));
                Start(node, priority, null);
                lab.WaitUntil(() => lab.Curl(node, "-s", "http://127.0.0.1:9680/metrics").Contains("\nredis_ha_paused 1\n", StringComparison.Ordinal),
                    Limit, $"restarted n{node} knows the set is paused");
                // A roll goes one node at a time: the next stops once the cluster has this one back.
                WaitAllVoters(lab, node == 1 ? 2 : 1);
            }
            lab.WaitUntil(() => lab.NodeLog(1).Contains("-> MASTER", StringComparison.Ordinal), Limit, "the restarted n1 is VRRP MASTER again");
            // resume needs a live holder in n2's view: n1's new incarnation must have gossiped its MASTER state.
            lab.WaitUntil(() => lab.RedisHaCli(2, "status").Stdout.Contains("peer:   n1 MASTER", StringComparison.Ordinal), Limit, "n2 sees n1 MASTER");
            (exit, stdout, stderr) = lab.RedisHaCli(2, "resume", "--config", lab.NodeConfig(2));
            Assert.True(exit == 0, stdout + stderr);
            Thread.Sleep(3000);
        }
        var (acked, longest, readOnly) = writer.Stop();
        var (_, lost) = writer.Verify(1);
        output.WriteLine($"rolling upgrade under the writer: {acked} acks, longest gap {longest} ms (baseline {baseline} ms), {readOnly} READONLY, {lost} lost; " +
                         $"old -> new VIP moves {roll.Moves(1)}, paused new -> new VIP changes {paused.Changes.Count}");
        Assert.Equal(0, lost);
        Assert.Empty(paused.Changes);
        // The logs of the processes restarted while paused: not one Redis role change.
        Assert.Equal(0, RoleChanges(lab.NodeLog(1)));
        Assert.Equal(0, RoleChanges(lab.NodeLog(2)));
        Assert.Equal("master", lab.Role(1));
        Assert.Equal("slave", lab.Role(2));
    }
}
