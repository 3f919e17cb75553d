using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// <c>redis-ha promote --accept-loss</c> on real nodes: the way out when the master is gone and the replica left never
/// finished its first sync, so it is never promoted automatically. Two data nodes, with a witness (cluster guard on) and
/// without (VRRP alone).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ForcedPromotionLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static void StartData(NamespaceLab lab, int node, int priority, bool guarded)
    {
        if (guarded) ClusterLabTests.StartData(lab, node, priority);
        else lab.StartNode(node, priority, preempt: false);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_replica_in_its_first_sync_when_the_master_died_waits_and_takes_over_only_when_forced_and_the_loss_is_reported(bool guarded)
    {
        using var lab = new NamespaceLab(guarded ? 3 : 2, output);
        // n1's Redis delays every diskless full sync by 10 min: n2's Redis stays in its first sync.
        lab.StartRedis(1, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "600");
        lab.StartRedis(2);
        StartData(lab, 1, 200, guarded);
        if (guarded) ClusterLabTests.StartWitness(lab);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master", Limit, "n1 holds the VIP over a master Redis");
        for (var i = 0; i < 20; i++) Assert.Equal("OK", lab.WriteThroughVip($"before-{i}", "v"));
        StartData(lab, 2, 190, guarded);
        lab.WaitUntil(() => lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n2's Redis a replica of n1");
        // Written once n2's Redis is attached: in the replication stream it never receives.
        for (var i = 0; i < 20; i++) Assert.Equal("OK", lab.WriteThroughVip($"after-attach-{i}", "v"));
        Assert.Contains("master_link_down_since_seconds:-1", lab.RedisCli(2, "info", "replication"));
        lab.WaitUntil(() => lab.NodeLog(2).Contains("not eligible for MASTER: its Redis has not completed a sync with 192.0.2.1:6379"), Limit,
            "n2 says why it is not eligible");

        // n1 alive and master: refused, nothing changes.
        var live = lab.RedisHaCli(2, "promote", "--accept-loss", "--config", lab.NodeConfig(2));
        Assert.True(live.Exit == 1, $"exit {live.Exit}: {live.Stdout}{live.Stderr}");
        Assert.StartsWith("redis-ha: promote refused: this node hears master 192.0.2.1", live.Stderr);
        Assert.Equal([1], lab.VipHolders());
        Assert.Equal("slave", lab.Role(2));

        // n2 has read n1's final offset (about once a second) and, guarded, has n1's key count from the gossip: the loss report names them.
        var masterOffset = Regex.Match(lab.RedisCli(1, "info", "replication"), @"master_repl_offset:(\d+)").Groups[1].Value;
        lab.WaitUntil(() =>
        {
            var json = lab.RedisHaCli(2, "status", "--json", "--config", lab.NodeConfig(2)).Stdout;
            return json.Contains($"\"lastKnownMasterOffset\": {masterOffset}", StringComparison.Ordinal)
                   && (!guarded || Regex.IsMatch(lab.RedisHaCli(2, "status", "--config", lab.NodeConfig(2)).Stdout, @"peer:   n1 MASTER .*, 40 keys\n"));
        }, Limit, $"n2 has seen n1's offset {masterOffset}{(guarded ? " and its 40 keys in the gossip" : "")}");
        lab.KillNodeAndRedis(1);
        // n2 never takes over by itself: 5 s, well past Master_Down_Interval (0.6 s) and the failure detector.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 100 && watch.Elapsed < TimeSpan.FromSeconds(5); i++)
        {
            Assert.DoesNotContain(2, lab.VipHolders());
            Assert.Equal("slave", lab.Role(2));
            Thread.Sleep(100);
        }
        var status = lab.RedisHaCli(2, "status", "--config", lab.NodeConfig(2));
        Assert.Contains("data:   NOT ELIGIBLE: its Redis has not completed a sync with 192.0.2.1:6379", status.Stdout);

        // Without --accept-loss: what it would override and the loss, nothing changed (n1 may still show as reachable for a moment).
        var dry = (Exit: 0, Stdout: "", Stderr: "");
        lab.WaitUntil(() =>
        {
            dry = lab.RedisHaCli(2, "promote", "--config", lab.NodeConfig(2));
            return dry.Exit == 1 && dry.Stderr.Contains("refused without --accept-loss", StringComparison.Ordinal);
        }, Limit, "n2 would force once n1 is gone");
        Assert.Contains("a forced promotion would override 'its Redis has not completed a sync with 192.0.2.1:6379", dry.Stderr);
        var keys = guarded ? "; keys: own 0, the master's 40 as last gossiped" : "";
        // Never synced, so own offset 0: the whole stream since n2 attached is the estimate.
        Assert.True(long.Parse(masterOffset, CultureInfo.InvariantCulture) > 0);
        Assert.Contains($"estimated loss {masterOffset} bytes (master offset {masterOffset} as last seen, own 0){keys}", dry.Stderr);
        Assert.DoesNotContain(2, lab.VipHolders());
        Assert.Equal("slave", lab.Role(2));

        var command = Stopwatch.StartNew();
        var forcing = Task.Run(() => lab.RedisHaCli(2, "promote", "--accept-loss", "--config", lab.NodeConfig(2)));
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]), Limit, "n2 takes the VIP");
        var vipAfter = command.Elapsed;
        var forced = await forcing;
        var answeredAfter = command.Elapsed;
        Assert.True(forced.Exit == 0, $"exit {forced.Exit}: {forced.Stdout}{forced.Stderr}");
        var line = Regex.Match(forced.Stdout, @"^operator forced promotion: overriding 'its Redis has not completed a sync with 192\.0\.2\.1:6379 .*?', " +
                               Regex.Escape($"estimated loss {masterOffset} bytes (master offset {masterOffset} as last seen, own 0){keys}"));
        Assert.True(line.Success, forced.Stdout);
        Assert.Contains("; done: this node holds the VIP and its Redis is master", forced.Stdout);
        Assert.Contains(line.Value, lab.NodeLog(2));
        Assert.Equal("master", lab.Role(2));
        lab.WaitUntil(() => lab.WriteThroughVip("forced", "1") == "OK", Limit, "writes through the VIP reach n2");
        Assert.Equal("1", lab.RedisCli(2, "get", "forced").Trim());
        var nodeMs = Regex.Match(forced.Stdout, @"master (\d+) ms after the command").Groups[1].Value;
        output.WriteLine($"forced promotion ({(guarded ? "guard on" : "guard off")}): VIP on n2 {vipAfter.TotalMilliseconds:0} ms after the CLI started, " +
                         $"CLI answered after {answeredAfter.TotalMilliseconds:0} ms (node: VIP and master Redis {nodeMs} ms after it accepted); " +
                         $"estimated loss {masterOffset} bytes (master offset {masterOffset} as last seen, own 0){keys}");

        // Once, for this takeover: the override has ended, n2 stays master with nothing holding it back.
        var after = lab.RedisHaCli(2, "status", "--config", lab.NodeConfig(2)).Stdout;
        Assert.DoesNotContain("forced:", after);
        Assert.DoesNotContain("NOT ELIGIBLE", after);
    }
}
