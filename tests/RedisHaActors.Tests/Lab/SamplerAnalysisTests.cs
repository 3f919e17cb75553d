using Akka.Configuration;

namespace RedisHaActors.Tests.Lab;

/// <summary>The pure helpers of the cluster lab: sampler parsing and analysis, the cluster HOCON. No lab, no root.</summary>
public sealed class SamplerAnalysisTests
{
    private const long T0 = 1_700_000_000_000;

    /// <summary>Samples every 50 ms from T0 + from (ms): 'o' = OK, 'e' = ERR, '.' = no sample in that slot.</summary>
    private static List<(long Ms, bool Ok)> Slots(string pattern, long from = 0)
    {
        var list = new List<(long, bool)>();
        for (var i = 0; i < pattern.Length; i++)
            if (pattern[i] != '.') list.Add((T0 + from + i * 50L, pattern[i] == 'o'));
        return list;
    }

    [Fact]
    public void Parses_ok_and_err_lines_and_skips_the_rest()
    {
        var samples = NamespaceLab.ParseSamples(["1700000000000 OK", "1700000000050 ERR READONLY", "garbage", "", "12 ERR timeout", "x OK"]);
        Assert.Equal([(1700000000000L, true), (1700000000050L, false), (12L, false)], samples);
    }

    [Fact]
    public void No_overlap_when_writability_hands_over()
    {
        var a = Slots("oooooeeeeeeeee");
        var b = Slots("eeeeeeeeoooooo");
        Assert.Equal(0, NamespaceLab.DualWritableSeconds(a, b));
        Assert.Empty(NamespaceLab.DualWritableIntervals(a, b));
    }

    [Fact]
    public void Overlap_counts_each_common_ok_slot()
    {
        var a = Slots("oooooooeee");
        var b = Slots("eeeeoooooo");
        // Both OK in slots 4, 5, 6: 150 ms.
        Assert.Equal(0.15, NamespaceLab.DualWritableSeconds(a, b), 6);
        Assert.Equal([(T0 + 200, T0 + 350)], NamespaceLab.DualWritableIntervals(a, b));
    }

    [Fact]
    public void Offset_samplers_are_aligned_by_time()
    {
        // b samples 20 ms after a; a OK for slots 0..3 ([0, 200)), b OK from 120 on.
        var a = Slots("ooooeeee");
        var b = Slots("eeooooo", from: 20);
        Assert.Equal(0.08, NamespaceLab.DualWritableSeconds(a, b), 6); // [120, 200)
    }

    [Fact]
    public void A_sample_holds_for_one_period_only_and_a_gap_is_not_writable()
    {
        // a's last OK at 0 stands for [0, 50); nothing after it. b OK throughout.
        var a = Slots("o.....");
        var b = Slots("oooooo");
        Assert.Equal(0.05, NamespaceLab.DualWritableSeconds(a, b), 6);
        // A late sample (slow attempt) cuts its predecessor's slot short.
        Assert.Equal([(T0, T0 + 30)], NamespaceLab.OkIntervals([(T0, true), (T0 + 30, false)]));
    }

    [Fact]
    public void Window_clips_the_overlap()
    {
        var a = Slots("oooooooooo");
        var b = Slots("oooooooooo");
        Assert.Equal(0.5, NamespaceLab.DualWritableSeconds(a, b), 6);
        Assert.Equal(0.1, NamespaceLab.DualWritableSeconds(a, b, fromMs: T0 + 125, toMs: T0 + 225), 6);
    }

    [Fact]
    public void Time_until_writable_counts_from_the_fault_to_the_first_ok_after_a_failure()
    {
        var replica = Slots("eeeeeeeeeeoooo");
        Assert.Equal(0.3, NamespaceLab.SecondsUntilWritable(replica, T0 + 200)!.Value, 6); // first OK at 500
        // Already writable at the fault: must fail first, then the next OK counts.
        var master = Slots("oooooeeooo");
        Assert.Equal(0.25, NamespaceLab.SecondsUntilWritable(master, T0 + 100)!.Value, 6); // ERR at 250 and 300, OK at 350
        // No sample before the fault counts as "not writable".
        Assert.Equal(0.05, NamespaceLab.SecondsUntilWritable(Slots("ooo", from: 1000), T0 + 950)!.Value, 6);
    }

    [Fact]
    public void No_takeover_is_null()
    {
        Assert.Null(NamespaceLab.SecondsUntilWritable(Slots("eeeeeeeeee"), T0 + 100));
        Assert.Null(NamespaceLab.SecondsUntilWritable(Slots("oooooooooo"), T0 + 100));
        Assert.Null(NamespaceLab.SecondsUntilWritable([], T0));
    }

    [Fact]
    public void Cluster_hocon_names_the_node_the_voters_and_the_witness_role()
    {
        var data = ConfigurationFactory.ParseString(NamespaceLab.ClusterHoconText(2, 3, witness: false));
        Assert.Equal("192.0.2.2", data.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4053, data.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"],
            data.GetStringList("akka.cluster.seed-nodes"));
        Assert.False(data.HasPath("redis-ha.node.role"));

        // Appended after a node file's redis-ha block, the role merges into redis-ha.node.
        var witness = ConfigurationFactory.ParseString("redis-ha { node { name = \"n3\" } }\n" + NamespaceLab.ClusterHoconText(3, 3, witness: true));
        Assert.Equal("witness", witness.GetString("redis-ha.node.role"));
        Assert.Equal("n3", witness.GetString("redis-ha.node.name"));
        Assert.Equal("192.0.2.3", witness.GetString("akka.remote.dot-netty.tcp.hostname"));
    }

    [Fact]
    public void Accepted_windows_run_from_start_to_reply_and_only_real_overlaps_count()
    {
        // n1's last write landed 1000..1002; n2's first 1010..1011: ordered, no overlap even though
        // both are within one 40 ms timeout window.
        var n1 = NamespaceLab.AcceptedWindows(["1000 OK 1002", "1050 ERR READONLY"]);
        var n2 = NamespaceLab.AcceptedWindows(["960 ERR READONLY", "1010 OK 1011"]);
        Assert.Equal([(1000L, 1003L)], n1);
        Assert.Empty(NamespaceLab.Overlaps(n1, n2));
        // Concurrent acceptance is found; a line without a reply time counts for the fallback window.
        var a = NamespaceLab.AcceptedWindows(["2000 OK 2005"]);
        var b = NamespaceLab.AcceptedWindows(["2003 OK"]);
        Assert.Equal([(2003L, 2006L)], NamespaceLab.Overlaps(a, b));
    }
}
