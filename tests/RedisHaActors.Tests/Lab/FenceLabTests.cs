using System.Globalization;
using LabWriter.Analysis;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// The guarded master's self-fence (min-replicas-to-write) where production differs from the lab's
/// friendliest setup: an extra replica beside the master, and a cut between the two data nodes that
/// the witness does not see. Cluster guard on, two data nodes and a witness, samplers writing to
/// each Redis every 50 ms.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class FenceLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = ClusterLabTests.Limit;

    [Fact]
    public void An_extra_replica_on_the_masters_host_does_not_keep_a_frozen_cut_off_master_writable()
    {
        using var lab = new NamespaceLab(3, output);
        ClusterLabTests.BootTrio(lab);
        // A backup job's replica on the master's own host: it stays connected through any cut.
        lab.StartExtraReplica(1, 6380);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 2", StringComparison.Ordinal), Limit,
            "n1's Redis at min-replicas-to-write 2 (the peer's replica and the extra one)");
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(500);
        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        lab.Freeze(1);
        lab.Isolate(1);
        lab.WaitUntil(() => lab.VipHolders().Contains(2) && lab.Role(2) == "master", Limit, "n2 took over");
        Thread.Sleep(TimeSpan.FromSeconds(3)); // both Redis up as masters: n1's may only take writes if its fence failed
        lab.Rejoin(1);
        lab.Thaw(1);
        ClusterLabTests.WaitSettled(lab, 2, "healed");
        lab.StopSamplers();
        var s1 = lab.SamplerLog(1);
        var s2 = lab.SamplerLog(2);
        var dual = DualWritable.Intervals(s1, s2);
        var takeover = Takeover.SecondsUntilWritable(s2, faultAt);
        output.WriteLine($"extra replica: dual-writable [{string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}], " +
                         $"n2 writable after {takeover?.ToString("0.00", CultureInfo.InvariantCulture) ?? "never"} s");
        var (lost, acked) = FaultFigure.SamplerLoss(lab, 1, 2);
        new FaultFigure("extra-replica-frozen-cut-master", "guard-on")
        {
            TwoWritableMs = DualWritable.TotalMs(s1, s2), Lost = lost, Acked = acked, OutageMs = (long?)(takeover * 1000),
        }.CountedSince(lab, mark).Print(output);
        Assert.True(s1.Count > 100 && s2.Count > 100, $"samplers ran ({s1.Count}, {s2.Count} samples)");
        Assert.Empty(dual);
        Assert.NotNull(takeover);
        // What the frozen, cut-off n1's Redis acknowledged and n2 never got: only within its self-fence window.
        var lostOnN1 = FaultFigure.SamplerMissing(lab, 1);
        Assert.True(FaultFigure.LostAfterFence(s1, lostOnN1, faultAt) == 0, $"n1's Redis acknowledged writes after its fence window that were lost: {string.Join(",", lostOnN1)}");
    }

    [Fact]
    public void Data_nodes_cut_from_each_other_but_not_from_the_witness_never_give_two_writable_masters()
    {
        using var lab = new NamespaceLab(3, output);
        ClusterLabTests.BootTrio(lab);
        lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis fenced");
        lab.StartSampler(1);
        lab.StartSampler(2);
        Thread.Sleep(500);
        var faultAt = NamespaceLab.NowMs();
        var mark = lab.LogMark();
        // n1 and n2 drop each other's packets; the witness and the client reach both.
        lab.BlockInput(1, "-s", "192.0.2.2");
        lab.BlockInput(2, "-s", "192.0.2.1");
        Thread.Sleep(TimeSpan.FromSeconds(15)); // past the failure detector, the fence and the resolver's stable-after
        var cutEndAt = NamespaceLab.NowMs();
        lab.UnblockInput(1, "-s", "192.0.2.2");
        lab.UnblockInput(2, "-s", "192.0.2.1");
        lab.WaitUntil(() =>
        {
            var holders = lab.VipHolders();
            if (holders.Length != 1) return false;
            var h = holders[0];
            var o = h == 1 ? 2 : 1;
            return lab.Role(h) == "master" && lab.Role(o) == "slave" && lab.MasterHostOf(o) == $"192.0.2.{h}";
        }, TimeSpan.FromSeconds(60), "healed: one VIP holder over the master Redis, the other a replica of it");
        Thread.Sleep(1000);
        lab.StopSamplers();
        var s1 = lab.SamplerLog(1);
        var s2 = lab.SamplerLog(2);
        var dual = DualWritable.Intervals(s1, s2);
        var winner = lab.VipHolders()[0];
        var present = lab.RedisCli(winner, "keys", "sample-n*")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var lost1 = ProbeKeys.Missing(s1, NamespaceLab.SamplePrefix(1), present);
        var lost2 = ProbeKeys.Missing(s2, NamespaceLab.SamplePrefix(2), present);
        output.WriteLine($"cut n1|n2: winner n{winner}, dual-writable [{string.Join(", ", dual.Select(d => $"{d.Start}-{d.End}"))}], " +
                         $"acked writes lost n1 {lost1.Count}, n2 {lost2.Count}; n1 writable {WritableWindows.Of(s1, faultAt).Sum(w => w.End - w.Start)} ms, " +
                         $"n2 writable {WritableWindows.Of(s2, faultAt).Sum(w => w.End - w.Start)} ms after the cut at {faultAt}, healed at {cutEndAt}");
        Assert.True(s1.Count > 100 && s2.Count > 100, $"samplers ran ({s1.Count}, {s2.Count} samples)");
        Assert.Empty(dual);
        // Whose history survives is decided by data (the side promoted from the other's history), whoever holds
        // the VIP at the end (the higher priority may preempt back after catching up, losing nothing). Each side's
        // loss is bounded by its fence window (MasterFence.SelfFenceTime after the cut, the estimate): what its
        // Redis acknowledged before it refused writes by itself. A write acknowledged later and lost means the
        // older history won after the heal (both data nodes are downed and restart; the one back first must not
        // be elected before it knows the other's replication ids).
        var late1 = FaultFigure.LostAfterFence(s1, lost1, faultAt);
        var late2 = FaultFigure.LostAfterFence(s2, lost2, faultAt);
        output.WriteLine($"acked writes lost after the fence window: n1 {late1} of {lost1.Count}, n2 {late2} of {lost2.Count}");
        new FaultFigure("data-nodes-cut-heal", "guard-on")
        {
            TwoWritableMs = DualWritable.TotalMs(s1, s2), Lost = lost1.Count + lost2.Count,
            Acked = lab.AcceptedAttempts(1).Count + lab.AcceptedAttempts(2).Count,
            OutageMs = Takeover.SecondsUntilWritable(winner == 1 ? s1 : s2, faultAt) is { } t ? (long)(t * 1000) : null,
        }.CountedSince(lab, mark).Print(output);
        Assert.True(late1 == 0 && late2 == 0, $"acked writes lost beyond the fence window: n1 {late1} of {lost1.Count}, n2 {late2} of {lost2.Count}");
        Assert.True(lost1.Count == 0 || lost2.Count == 0, $"both sides lost acked writes (n1 {lost1.Count}, n2 {lost2.Count})");
    }
}
