using System.Globalization;
using System.Text.RegularExpressions;
using LabWriter.Analysis;
using RedisHaActors.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Issue 11's two rules on real Redis and real VRRP, with and without the cluster guard: a replica whose data is not a
/// master's (its first full sync cut short by the master's death) is never promoted automatically, and a replica whose
/// estimated loss is above <c>redis-ha.redis.max-loss</c> is not either. Each node says why and waits; the old master
/// returns with every acknowledged write (AOF, fsync always) and takes the VIP again, and its replica then syncs from
/// it, not the other way round. Measured: acknowledged writes lost (0), time with two writable masters (0, samplers on
/// both Redis), and the outage, which here is the old master's absence by design.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class LineageLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(45);

    /// <summary>Watched after the kill for a takeover that must not come: many Master_Down_Intervals (0.6 s here) and
    /// the guard's fence wait.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(8);

    /// <summary>Keys preloaded on n1 (DEBUG POPULATE): about 7 MB of RDB, 30 s of transfer at <see cref="SyncKbit"/>.</summary>
    private const int PreloadKeys = 300_000;

    /// <summary>The rate of n1's first full sync to n2 (the replication stream alone is slowed).</summary>
    private const int SyncKbit = 2000;

    /// <summary>The bound n2 is given in the max-loss test, bytes: about 70 of the writer's SETs.</summary>
    private const long MaxLoss = 4096;

    /// <summary>
    /// n1's Redis as README's redis.conf has it and as a durable site runs it: read-only at every start until its
    /// coordinator sets the role (<c>replicaof 127.0.0.1 1</c>; not when <paramref name="fenced"/> is false, Redis'
    /// default: a master at start), AOF with fsync always (a restarted master returns with every write it acknowledged),
    /// the debug command from localhost (DEBUG POPULATE); a diskless sync starts after <paramref name="syncDelaySeconds"/>.
    /// </summary>
    private static string[] DurableRedis(int syncDelaySeconds, bool fenced = true) =>
    [
        "--appendonly", "yes", "--appendfsync", "always",
        .. fenced ? (string[])["--replicaof", LocalFence.Host, LocalFence.Port.ToString(CultureInfo.InvariantCulture)] : [],
        .. LabBinaries.EnableDebugCommand,
        "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", syncDelaySeconds.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>A data node, preempt off on both (the article's nopreempt): n1 gets the VIP back only because n2 may not hold it.</summary>
    private static void StartData(NamespaceLab lab, int node, bool guard, string extra = "") =>
        lab.StartNode(node, priority: node == 1 ? 200 : 190, preempt: false,
            (guard ? lab.ClusterHocon(node, voters: 3, witness: false) : "") + extra);

    /// <summary>n1's Redis (durable, <see cref="DurableRedis"/>) and node, n2's Redis (empty, a master until its node
    /// makes it a replica), the witness when guarded; n1 holds the VIP over its master Redis.</summary>
    private static void BootMaster(NamespaceLab lab, bool guard, int syncDelaySeconds)
    {
        lab.StartRedis(1, DurableRedis(syncDelaySeconds));
        lab.StartRedis(2);
        StartData(lab, 1, guard);
        if (guard) ClusterLabTests.StartWitness(lab);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master", Limit, "n1 holds the VIP over its master Redis");
    }

    /// <summary>The TCP port of <paramref name="replica"/>'s replication connection to <paramref name="master"/>'s Redis
    /// (<c>CLIENT LIST TYPE replica</c> on the master), or 0 while there is none.</summary>
    private static int ReplicationPort(NamespaceLab lab, int master, int replica)
    {
        var m = Regex.Match(lab.RedisCli(master, "client", "list", "type", "replica"), $@"addr=192\.0\.2\.{replica}:(\d+) ");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>One field of node's <c>INFO replication</c>, or "" (down, or no such field).</summary>
    private static string Replication(NamespaceLab lab, int node, string field)
    {
        try
        {
            return ReplicationFacts.Fields(lab.RedisCli(node, "info", "replication")).GetValueOrDefault(field, "");
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    /// <summary>
    /// n2's replica falls behind: n1's replication stream to it is dropped on arrival (iptables, that connection alone), as a
    /// congested or half-broken path would. n2's Redis answers its checks and n2 still observes n1's offset on its own
    /// connection. (DEBUG SLEEP or CLIENT PAUSE on the replica would fail its check as well.) Returns once n2 refuses a
    /// promotion (its estimate above max-loss) and a second more of writes; the block's iptables match, to lift it.
    /// </summary>
    private static string[] FallBehind(NamespaceLab lab)
    {
        var port = ReplicationPort(lab, 1, 2);
        Assert.True(port > 0, "n2's replication connection to n1");
        string[] stream = ["-p", "tcp", "-s", "192.0.2.1", "--sport", "6379", "--dport", port.ToString(CultureInfo.InvariantCulture)];
        var logBefore = lab.NodeLog(2).Length;
        lab.BlockInput(2, stream);
        lab.WaitUntil(() => lab.NodeLog(2)[logBefore..].Contains("above max-loss", StringComparison.Ordinal), Limit, "n2 refuses: its estimated loss is above max-loss");
        Thread.Sleep(1000);
        return stream;
    }

    /// <summary>The states (VIP holders, n2's Redis role) seen every 200 ms for <paramref name="window"/>, each once in order.</summary>
    private static List<string> Watch(NamespaceLab lab, TimeSpan window)
    {
        var seen = new List<string>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1000 && sw.Elapsed < window; i++)
        {
            var state = $"VIP on [{string.Join(",", lab.VipHolders())}], n2's Redis {lab.Role(2)}";
            if (seen.Count == 0 || seen[^1] != state) seen.Add(state);
            Thread.Sleep(200);
        }
        return seen;
    }

    /// <summary>n2 neither held the VIP nor had a master Redis; the killed n1's VIP lapsed (a lease of 2 s at most).</summary>
    private static string Mode(bool guard) => guard ? "guard-on" : "guard-off";

    private static void AssertNoTakeover(List<string> states)
    {
        Assert.All(states, s => Assert.Matches(@"^VIP on \[1?\], n2's Redis slave$", s));
        Assert.Equal("VIP on [], n2's Redis slave", states[^1]);
    }

    /// <summary>
    /// n1's Redis and node started again (its AOF, read-only until its node promotes it); n1 takes the VIP over its
    /// master Redis and n2 syncs from it. Returns the final master: n1, or when n1's Redis came back unfenced (a master
    /// before its node runs: n2 completes its sync from it at once and may be elected first, with a paused hand-over)
    /// possibly n2.
    /// </summary>
    /// <param name="minKeys">The fewest keys n1's Redis must come back with, and the final master must hold.</param>
    /// <param name="fenced">n1's Redis comes back read-only (README's redis.conf) or a master (Redis' default).</param>
    private int RestartOldMaster(NamespaceLab lab, bool guard, long minKeys, bool fenced = true)
    {
        lab.StartRedis(1, DurableRedis(0, fenced));
        var keys = long.Parse(lab.RedisCli(1, "dbsize").Trim(), CultureInfo.InvariantCulture);
        Assert.True(keys >= minKeys, $"n1's Redis came back with {keys} keys, fewer than {minKeys}");
        var started = System.Diagnostics.Stopwatch.StartNew();
        StartData(lab, 1, guard);
        var master = 0;
        lab.WaitUntil(() => lab.VipHolders() is [var h] && (h == 1 || !fenced) && lab.Role(h) == "master"
                            && lab.Role(3 - h) == "slave" && lab.MasterHostOf(3 - h) == $"192.0.2.{h}"
                            && Replication(lab, 3 - h, "master_link_status") == "up" && (master = h) > 0,
            Limit, fenced ? "n1 holds the VIP over its master Redis again and n2's Redis synced from it"
                : "one VIP holder over the master Redis, the other a synced replica of it");
        var held = long.Parse(lab.RedisCli(master, "dbsize").Trim(), CultureInfo.InvariantCulture);
        output.WriteLine($"n1 back with {keys} keys ({(fenced ? "read-only" : "a master")} at start); VIP on n{master} over its master Redis " +
                         $"({held} keys) and the other synced from it {started.Elapsed.TotalSeconds:0.0} s after n1's node started");
        Assert.True(held >= minKeys, $"the final master n{master} holds {held} keys, fewer than n1 came back with");
        return master;
    }

    /// <summary>
    /// The end: the writer stopped, every acked key on both Redis (once the replica has the final master's offset), every
    /// sampler write on both, never two writable masters. With n1 the final <paramref name="master"/>: n2's Redis never
    /// writable and n1's never a replica of n2.
    /// </summary>
    /// <param name="figure">The fault's kind and mode for its <see cref="FaultFigure"/> line, counted since <paramref name="mark"/>.</param>
    private void AssertNothingLost(NamespaceLab lab, VipWriter writer, long faultAt, string what, FaultFigure figure, LogMark mark, int master = 1)
    {
        Thread.Sleep(1000);
        var (acked, outage, readOnly) = writer.Stop();
        lab.StopSamplers();
        lab.WaitUntil(() => Replication(lab, 3 - master, "master_repl_offset") == Replication(lab, master, "master_repl_offset"), Limit,
            $"n{3 - master} has n{master}'s offset");
        var (_, lost1) = writer.Verify(1);
        var (_, lost2) = writer.Verify(2);
        var s1 = lab.SamplerLog(1);
        var s2 = lab.SamplerLog(2);
        var dual = DualWritable.Intervals(s1, s2);
        // Every sampler write either Redis acknowledged, on both.
        var samplerLost = new[] { 1, 2 }.SelectMany(on => new[] { (1, s1), (2, s2) }.Select(w =>
        {
            var prefix = NamespaceLab.SamplePrefix(w.Item1);
            var present = lab.RedisCli(on, "keys", prefix + ":*").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            return (What: $"n{w.Item1}'s sampler on n{on}", Lost: ProbeKeys.Missing(w.Item2, prefix, present).Count);
        })).ToArray();
        var n2Writable = s2.Count(s => s.Ok);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: writer acked {acked}, longest outage {outage} ms (the kill at {faultAt} until a master was back), READONLY {readOnly}; " +
            $"acked writes lost on n1 {lost1}, on n2 {lost2}; sampler acks lost: {string.Join(", ", samplerLost.Select(l => $"{l.What} {l.Lost}"))}; " +
            $"two writable masters {dual.Sum(d => d.End - d.Start)} ms; n2's Redis took {n2Writable} sampler writes; final master n{master}"));
        (figure with
        {
            TwoWritableMs = DualWritable.TotalMs(s1, s2), Lost = lost1 + lost2 + samplerLost.Sum(l => l.Lost),
            Acked = acked + lab.AcceptedAttempts(1).Count + lab.AcceptedAttempts(2).Count, OutageMs = outage,
        }).CountedSince(lab, mark).Print(output);
        Assert.True(acked > 100, $"the writer got {acked} acks");
        Assert.True(lost1 == 0 && lost2 == 0, $"acked writes lost: {lost1} on n1, {lost2} on n2");
        Assert.All(samplerLost, l => Assert.True(l.Lost == 0, $"{l.What}: {l.Lost} acks lost"));
        Assert.True(dual.Count == 0, $"two writable masters: {string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}");
        Assert.True(s1.Count > 100 && s2.Count > 100, $"samplers ran ({s1.Count}, {s2.Count} samples)");
        if (master != 1) return;
        Assert.True(n2Writable == 0, $"n2's Redis took {n2Writable} writes: it was a master");
        Assert.DoesNotContain("BACKUP -> MASTER", lab.NodeLog(2));
        // n1's Redis was never made a replica of n2 (its resync would have replaced n1's writes with n2's copy).
        Assert.DoesNotContain("MASTER 192.0.2.2:6379", File.ReadAllText(Path.Combine(lab.OutDir, "redis-n1.log")));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(false, false)] // n1's Redis returns a master (no replicaof in its redis.conf): n2 syncs from it at once
    public void A_replica_in_its_first_full_sync_when_the_master_dies_is_never_promoted_and_the_returning_master_keeps_every_write(bool guard, bool fencedRestart)
    {
        using var lab = new NamespaceLab(guard ? 3 : 2, output);
        // n1 holds data, and its diskless sync waits (60 s) until the stream to n2 is slowed below.
        BootMaster(lab, guard, syncDelaySeconds: 60);
        Assert.Equal("OK", lab.RedisCli(1, "debug", "populate", PreloadKeys.ToString(CultureInfo.InvariantCulture)).Trim());
        // DEBUG POPULATE is not in the AOF: rewrite it, so n1 returns with those keys too.
        lab.RedisCli(1, "bgrewriteaof");
        lab.WaitUntil(() => lab.RedisCli(1, "info", "persistence") is var p
                            && p.Contains("aof_rewrite_in_progress:0") && p.Contains("aof_rewrite_scheduled:0") && p.Contains("aof_last_bgrewrite_status:ok"),
            Limit, "n1's AOF rewritten with the preloaded keys");
        using var writer = VipWriter.Start(lab);

        StartData(lab, 2, guard);
        var port = 0;
        lab.WaitUntil(() => (port = ReplicationPort(lab, 1, 2)) > 0, Limit, "n2's Redis asks n1's for a sync");
        lab.StartSampler(1);
        lab.StartSampler(2);
        // A real first full sync, long and under way: the stream to n2 alone at 2 Mbit/s (its RDB alone takes ~30 s).
        lab.Throttle(1, "192.0.2.2", 6379, port, SyncKbit);
        lab.RedisCli(1, "config", "set", "repl-diskless-sync-delay", "0");
        lab.WaitUntil(() => Replication(lab, 2, "master_sync_in_progress") == "1"
                            && long.TryParse(Replication(lab, 2, "master_sync_read_bytes"), out var read) && read > 100_000,
            Limit, "n2's Redis receiving its first full sync");
        lab.WaitUntil(() => lab.NodeLog(2).Contains("master_sync_in_progress:1", StringComparison.Ordinal), Limit, "n2 says it is in a full sync");
        Thread.Sleep(1000);
        var readBytes = Replication(lab, 2, "master_sync_read_bytes");

        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        var logBefore = lab.NodeLog(2).Length;
        lab.KillNodeAndRedis(1);
        // The killed process's kernel still sends what its socket had queued (megabytes, at the slowed rate that could
        // outlast the window), then closes: let it go at once, so n2's Redis sees the stream end within the window (a
        // host dying with its process would send nothing, and n2 would stay in master_sync_in_progress:1 until
        // repl-timeout; that defers as well).
        lab.Unthrottle(1);
        var states = Watch(lab, Window);
        var why = lab.NodeLog(2)[logBefore..];
        var status = lab.RedisHaCli(2, "status").Stdout;
        // What a promotion would have thrown away: every acked write (n2's Redis has none of n1's data).
        var (ackedAtKill, missingOnN2) = writer.Verify(2);
        output.WriteLine($"first full sync cut at {readBytes} bytes read, guard {(guard ? "on" : "off")}: states for {Window.TotalSeconds} s after the kill: " +
                         $"{string.Join(" | ", states)}; n2's Redis lacks {missingOnN2} of {ackedAtKill} acked writes and has {lab.RedisCli(2, "dbsize").Trim()} keys\n" +
                         $"n2 status:\n{status}");
        AssertNoTakeover(states);
        Assert.Contains("not eligible for MASTER: ", why);
        Assert.Contains("master_link_down_since_seconds:-1", why);
        Assert.Contains("master_link_down_since_seconds:-1", status);
        Assert.Equal("-1", Replication(lab, 2, "master_link_down_since_seconds"));
        Assert.True(missingOnN2 > 100, $"n2 lacked only {missingOnN2} acked writes: the test did not cut a first sync short");

        var master = RestartOldMaster(lab, guard, PreloadKeys, fencedRestart);
        AssertNothingLost(lab, writer, faultAt, $"first sync cut, guard {(guard ? "on" : "off")}, n1's Redis back {(fencedRestart ? "read-only" : "a master")}",
            new FaultFigure($"first-sync-cut-by-master-death{(fencedRestart ? "" : "-unfenced-return")}", Mode(guard)), mark, master);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_replica_behind_by_more_than_max_loss_when_the_master_dies_is_not_promoted_and_the_returning_master_keeps_every_write(bool guard)
    {
        using var lab = new NamespaceLab(guard ? 3 : 2, output);
        BootMaster(lab, guard, syncDelaySeconds: 0);
        StartData(lab, 2, guard, $"redis-ha.redis.max-loss = {MaxLoss}");
        lab.WaitUntil(() => lab.Role(2) == "slave" && Replication(lab, 2, "master_link_status") == "up", Limit, "n2's first sync from n1");
        using var writer = VipWriter.Start(lab);
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(3000);
        // A healthy replica under the writer's load is within the bound (the estimate compares two observations).
        var refusalsHealthy = NamespaceLab.Occurrences(lab.NodeLog(2), "max-loss");

        var logBefore = lab.NodeLog(2).Length;
        var stream = FallBehind(lab);

        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        lab.KillNodeAndRedis(1);
        var states = Watch(lab, Window);
        var why = lab.NodeLog(2)[logBefore..];
        var status = lab.RedisHaCli(2, "status").Stdout;
        var (ackedAtKill, missingOnN2) = writer.Verify(2);
        var refusal = Regex.Matches(why, @"estimated loss (\d+) bytes is above max-loss (\d+)").LastOrDefault();
        output.WriteLine($"max-loss {MaxLoss}, guard {(guard ? "on" : "off")}: 'max-loss' in n2's log {refusalsHealthy} time(s) while the replica was healthy; " +
                         $"states for {Window.TotalSeconds} s after the kill: {string.Join(" | ", states)}; refusal: {refusal?.Value}; " +
                         $"a promotion would have lost {missingOnN2} of {ackedAtKill} acked writes\nn2 status:\n{status}");
        AssertNoTakeover(states);
        Assert.NotNull(refusal);
        Assert.Equal(MaxLoss.ToString(CultureInfo.InvariantCulture), refusal.Groups[2].Value);
        Assert.Contains("max-loss", status);
        Assert.Contains("estimated loss", status);
        // The refused estimate covers what a promotion would have lost.
        var estimated = long.Parse(refusal.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(missingOnN2 > 0, "n2's Redis lacked no acked write: the stream was not stalled");
        Assert.True(VipWriter.WithinEstimate(missingOnN2, estimated),
            $"{missingOnN2} acked writes missing on n2 (at least {missingOnN2 * VipWriter.MinSetBytes} bytes): beyond the estimate of {estimated} bytes");

        lab.UnblockInput(2, stream);
        RestartOldMaster(lab, guard, 1);
        AssertNothingLost(lab, writer, faultAt, $"max-loss, guard {(guard ? "on" : "off")}", new FaultFigure("replica-behind-max-loss", Mode(guard)), mark);
    }

    [Theory]
    [InlineData("never-synced")]
    [InlineData("max-loss")]
    public void A_held_back_replica_stays_held_while_its_own_checks_go_unanswered(string rule)
    {
        // n2 checks every 500 ms and allows 3 failures: a hung Redis counts as healthy for up to 1.5 s, longer than
        // Master_Down_Interval (0.78 s here). Unanswered checks say nothing about its data: the rule that held it back holds.
        using var lab = new NamespaceLab(2, output);
        BootMaster(lab, guard: false, syncDelaySeconds: rule == "never-synced" ? 60 : 0);
        using var writer = VipWriter.Start(lab);
        StartData(lab, 2, guard: false, "redis-ha.redis.check { interval = 500ms, fall = 3 }\n" + (rule == "max-loss" ? $"redis-ha.redis.max-loss = {MaxLoss}" : ""));
        string[]? stream = null;
        if (rule == "never-synced")
            // n1's diskless sync waits 60 s: n2's Redis asked for its first sync and has none.
            lab.WaitUntil(() => lab.NodeLog(2).Contains("master_link_down_since_seconds:-1", StringComparison.Ordinal), Limit, "n2 held back: never synced");
        else
        {
            lab.WaitUntil(() => Replication(lab, 2, "master_link_status") == "up", Limit, "n2's first sync from n1");
            stream = FallBehind(lab);
        }
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(500);
        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        var logBefore = lab.NodeLog(2).Length;
        lab.KillNodeAndRedis(1);
        lab.WaitUntil(() => lab.VipHolders().Length == 0, Limit, "the killed n1's VIP lease lapsed");
        // n2's own Redis hangs for 1.2 s: two or three checks go unanswered, within fall 3.
        lab.PauseRedis(2);
        Thread.Sleep(1200);
        lab.ResumeRedis(2);
        var states = Watch(lab, TimeSpan.FromSeconds(4));
        var after = lab.NodeLog(2)[logBefore..];
        var status = lab.RedisHaCli(2, "status").Stdout;
        output.WriteLine($"{rule}, n2's Redis hung 1.2 s after n1's kill: states {string.Join(" | ", states)}\nn2 status:\n{status}");
        Assert.True(after.Contains("check failed", StringComparison.Ordinal), "n2's checks failed while its Redis hung\n" + after);
        AssertNoTakeover(states);
        Assert.DoesNotContain("BACKUP -> MASTER", after);
        Assert.DoesNotContain("eligible again", after);
        Assert.Contains(rule == "max-loss" ? "above max-loss" : "master_link_down_since_seconds:-1", status);

        if (stream is not null) lab.UnblockInput(2, stream);
        RestartOldMaster(lab, guard: false, 1);
        AssertNothingLost(lab, writer, faultAt, $"{rule}, n2's Redis hung", new FaultFigure($"{rule}-held-through-own-redis-hang", Mode(false)), mark);
    }
}
