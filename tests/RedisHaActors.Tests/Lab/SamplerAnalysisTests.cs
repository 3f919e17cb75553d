using System.Globalization;
using Akka.Configuration;
using LabWriter.Analysis;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// The lab's pure parts: sampler-log analysis (lab/writer/Analysis, shared with bench/partition.sh
/// through <c>labwriter dual-writable</c> / <c>until-writable</c>), the config texts, the capture
/// parser. No lab, no root.
/// </summary>
public sealed class SamplerAnalysisTests
{
    private const long T0 = 1_700_000_000_000;

    /// <summary>
    /// Samples every 50 ms from T0 + from (ms): 'o' = OK replied 10 ms after its start, 'O' = OK
    /// without a reply time, 'e' = ERR, '.' = no sample in that slot.
    /// </summary>
    private static List<Sample> Slots(string pattern, long from = 0)
    {
        var list = new List<Sample>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var t = T0 + from + i * 50L;
            switch (pattern[i])
            {
                case 'o': list.Add(new Sample(t, true, t + 10)); break;
                case 'O': list.Add(new Sample(t, true)); break;
                case 'e': list.Add(new Sample(t, false)); break;
            }
        }
        return list;
    }

    [Fact]
    public void Parses_ok_with_and_without_reply_time_and_err_lines_and_skips_the_rest()
    {
        var samples = Sample.Parse(["1700000000000 OK 1700000000003", "1700000000050 ERR READONLY", "garbage", "", "12 ERR timeout",
            "x OK", "1700000000100 OK", "1700000000150 OK later"]);
        Assert.Equal([new Sample(1700000000000, true, 1700000000003), new Sample(1700000000050, false), new Sample(12, false),
            new Sample(1700000000100, true), new Sample(1700000000150, true)], samples);
    }

    [Fact]
    public void No_overlap_when_writability_hands_over()
    {
        var a = Slots("oooooeeeeeeeee");
        var b = Slots("eeeeeeeeoooooo");
        Assert.Equal(0, DualWritable.Seconds(a, b));
        Assert.Empty(DualWritable.Intervals(a, b));
    }

    [Fact]
    public void Overlap_counts_each_common_accepted_window_from_start_to_reply()
    {
        var a = Slots("oooooooeee");
        var b = Slots("eeeeoooooo");
        // Both OK in slots 4, 5, 6, each write landing within [start, reply + 1): 3 x 11 ms.
        Assert.Equal(0.033, DualWritable.Seconds(a, b), 6);
        Assert.Equal([(T0 + 200, T0 + 211), (T0 + 250, T0 + 261), (T0 + 300, T0 + 311)], DualWritable.Intervals(a, b));
    }

    [Fact]
    public void Offset_samplers_are_aligned_by_time()
    {
        // b samples 5 ms after a: a's windows [100, 111) and [150, 161) meet b's [105, 116) and [155, 166).
        var a = Slots("ooooeeee");
        var b = Slots("eeooooo", from: 5);
        Assert.Equal([(T0 + 105, T0 + 111), (T0 + 155, T0 + 161)], DualWritable.Intervals(a, b));
        Assert.Equal(12, DualWritable.TotalMs(a, b));
    }

    [Fact]
    public void A_window_runs_to_the_reply_or_the_reply_timeout_and_the_next_attempt_cuts_it_short()
    {
        Assert.Equal([(T0, T0 + 3)], WritableWindows.Of([new Sample(T0, true, T0 + 2)]));
        Assert.Equal([(T0, T0 + 40)], WritableWindows.Of([new Sample(T0, true), new Sample(T0 + 50, false)]));
        Assert.Equal([(T0, T0 + 25)], WritableWindows.Of([new Sample(T0, true)], replyTimeoutMs: 25));
        // A late sample (slow attempt) or a reply after the next start: the next attempt ends the window.
        Assert.Equal([(T0, T0 + 30)], WritableWindows.Of([new Sample(T0, true), new Sample(T0 + 30, false)]));
        Assert.Equal([(T0, T0 + 50), (T0 + 50, T0 + 56)],
            WritableWindows.Of([new Sample(T0 + 50, true, T0 + 55), new Sample(T0, true, T0 + 60)]));
        // An ERR is never a window; a gap in the log is not writable.
        Assert.Empty(WritableWindows.Of(Slots("e..e")));
    }

    [Fact]
    public void Window_of_interest_clips_the_overlap()
    {
        var a = Slots("OOOOOOOOOO");
        var b = Slots("OOOOOOOOOO");
        Assert.Equal(0.4, DualWritable.Seconds(a, b), 6); // 10 x 40 ms
        // [125, 140) + [150, 190) + [200, 225)
        Assert.Equal(0.08, DualWritable.Seconds(a, b, fromMs: T0 + 125, toMs: T0 + 225), 6);
    }

    [Fact]
    public void Accepted_windows_that_are_close_but_ordered_do_not_overlap()
    {
        // n1's last write landed 1000..1002; n2's first 1010..1011: ordered, no overlap even though
        // both are within one 40 ms timeout window.
        Assert.Empty(DualWritable.Intervals(Sample.Parse(["1000 OK 1002", "1050 ERR READONLY"]), Sample.Parse(["960 ERR READONLY", "1010 OK 1011"])));
        // Concurrent acceptance is found; a line without a reply time counts for the reply timeout.
        Assert.Equal([(2003L, 2006L)], DualWritable.Intervals(Sample.Parse(["2000 OK 2005"]), Sample.Parse(["2003 OK"])));
    }

    [Fact]
    public void Report_prints_three_decimals_and_merged_stretches_relative_to_the_start()
    {
        // a: [0, 50) then [50, 56); b: [0, 101). Both: [0, 56), one stretch.
        Sample[] a = [new(T0, true, T0 + 60), new(T0 + 50, true, T0 + 55)];
        Sample[] b = [new(T0, true, T0 + 100)];
        Assert.Equal(("0.056", "10 66\n"), DualWritable.Report(a, b, T0 - 10, T0 + 1000));
        Assert.Equal(("0.000", ""), DualWritable.Report(Slots("oooo"), Slots("eeee"), T0, T0 + 1000));
        Sample[] long1 = [new(T0, true, T0 + 1233)];
        Assert.Equal(("1.234", "0 1234\n"), DualWritable.Report(long1, long1, T0, T0 + 5000));
    }

    [Fact]
    public void Time_until_writable_counts_from_the_fault_to_the_first_ok_after_a_failure()
    {
        var replica = Slots("eeeeeeeeeeoooo");
        Assert.Equal(0.3, Takeover.SecondsUntilWritable(replica, T0 + 200)!.Value, 6); // first OK at 500
        // Already writable at the fault: must fail first, then the next OK counts.
        var master = Slots("oooooeeooo");
        Assert.Equal(0.25, Takeover.SecondsUntilWritable(master, T0 + 100)!.Value, 6); // ERR at 250 and 300, OK at 350
        // No sample before the fault counts as "not writable".
        Assert.Equal(0.05, Takeover.SecondsUntilWritable(Slots("ooo", from: 1000), T0 + 950)!.Value, 6);
        // Two decimals as C's printf rounds the binary value (0.075 is just below): what the bench printed.
        Assert.Equal("0.07", Takeover.Report(Slots("eo", from: 25), T0));
    }

    [Fact]
    public void No_takeover_is_null()
    {
        Assert.Null(Takeover.SecondsUntilWritable(Slots("eeeeeeeeee"), T0 + 100));
        Assert.Null(Takeover.SecondsUntilWritable(Slots("oooooooooo"), T0 + 100));
        Assert.Null(Takeover.SecondsUntilWritable([], T0));
        Assert.Equal("no takeover", Takeover.Report([], T0));
    }

    [Fact]
    public void Lost_writes_are_acknowledged_attempts_whose_key_is_missing()
    {
        var log = Sample.Parse(["1000 OK 1001", "1050 ERR READONLY", "1100 OK 1102", "1150 OK 1151"]);
        Assert.Equal([1L, 3L, 4L], ProbeKeys.AcceptedAttempts(log));
        Assert.Equal("sample-n1:3", ProbeKeys.Key("sample-n1", 3));
        // Attempt 2 failed, so its key being absent is no loss; attempt 3's is.
        Assert.Equal([3L], ProbeKeys.Missing(log, "sample-n1", ["sample-n1:1", "sample-n1:4", "sample-n2:3"]));
        Assert.Empty(ProbeKeys.Missing(log, "sample-n1", ["sample-n1:1", "sample-n1:3", "sample-n1:4"]));
    }

    // A fixed pair of sampler logs (Lab/Samples; generated: offsets, duplicates, replies after the next
    // start, OK lines without a reply time, garbage) and what bench/partition.sh's former awk function
    // printed for them (run with its large numbers printed by %.0f: under mawk, the default awk here,
    // its plain print wrote 1.7649e+12 and the figure was always 0.000).
    private const long SampleFrom = 1764900001027, SampleTo = 1764900005041, SampleFault = 1764900000770;

    private static string SampleFile(string name) => Path.Combine(LabBinaries.RepoRoot, "tests/RedisHaActors.Tests/Lab/Samples", name);

    private static IReadOnlyList<Sample> SampleLog(int node) => Sample.Parse(File.ReadLines(SampleFile($"sampler-n{node}.log")));

    [Fact]
    public void The_bench_figures_of_a_fixed_sample_are_those_the_former_bash_analysis_printed()
    {
        var (seconds, stretches) = DualWritable.Report(SampleLog(1), SampleLog(2), SampleFrom, SampleTo);
        Assert.Equal("0.230", seconds);
        Assert.Equal(File.ReadAllText(SampleFile("dual-stretches.txt")), stretches);
        Assert.Equal("0.93", Takeover.Report(SampleLog(2), SampleFault));
        Assert.Equal("0.22", Takeover.Report(SampleLog(1), SampleFault));
    }

    [Fact]
    public void Labwriter_prints_the_same_figures_for_the_bench()
    {
        var intervals = Path.Combine(Path.GetTempPath(), $"dual-{Guid.NewGuid():N}.txt");
        try
        {
            var dual = NamespaceLab.Run("dotnet", [LabBinaries.WriterDll(), "dual-writable", SampleFile("sampler-n1.log"), SampleFile("sampler-n2.log"),
                "--from-ms", SampleFrom.ToString(CultureInfo.InvariantCulture), "--to-ms", SampleTo.ToString(CultureInfo.InvariantCulture),
                "--intervals", intervals]);
            Assert.Equal("0.230\n", dual);
            Assert.Equal(File.ReadAllText(SampleFile("dual-stretches.txt")), File.ReadAllText(intervals));
            var until = NamespaceLab.Run("dotnet", [LabBinaries.WriterDll(), "until-writable", SampleFile("sampler-n2.log"),
                "--fault-ms", SampleFault.ToString(CultureInfo.InvariantCulture)]);
            Assert.Equal("0.93\n", until);
        }
        finally
        {
            File.Delete(intervals);
        }
    }

    [Fact]
    public void Cluster_hocon_names_the_node_the_voters_and_the_witness_role()
    {
        var data = ConfigurationFactory.ParseString(LabConfig.ClusterHocon(2, 3, witness: false));
        Assert.Equal("192.0.2.2", data.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4053, data.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"],
            data.GetStringList("akka.cluster.seed-nodes"));
        Assert.False(data.HasPath("redis-ha.node.role"));

        // Appended after a node file's redis-ha block, the role merges into redis-ha.node.
        var witness = ConfigurationFactory.ParseString(LabConfig.NodeHocon(3, 100, preempt: true, LabConfig.ClusterHocon(3, 3, witness: true)));
        Assert.Equal("witness", witness.GetString("redis-ha.node.role"));
        Assert.Equal("n3", witness.GetString("redis-ha.node.name"));
        Assert.Equal("192.0.2.3", witness.GetString("akka.remote.dot-netty.tcp.hostname"));
    }

    [Fact]
    public void Node_hocon_takes_the_extra_last_so_it_overrides()
    {
        var config = ConfigurationFactory.ParseString(LabConfig.NodeHocon(2, 190, preempt: false, "redis-ha.vrrp.advert-interval = 1s"));
        Assert.Equal(190, config.GetInt("redis-ha.vrrp.priority"));
        Assert.Equal("off", config.GetString("redis-ha.vrrp.preempt"));
        Assert.Equal("1s", config.GetString("redis-ha.vrrp.advert-interval"));
        Assert.Equal(["192.0.2.100/24"], config.GetStringList("redis-ha.vrrp.virtual-ipaddress"));
        Assert.Equal("192.0.2.2", config.GetString("redis-ha.redis.announce-host"));
    }

    [Fact]
    public void Capture_parser_reads_v3_and_v2_adverts_and_skips_other_lines()
    {
        var adverts = CapturedAdvert.Parse("""
            tcpdump: verbose output suppressed, use -v[v]... for full protocol decode
            listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
            1764486817.123456 IP 192.0.2.1 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 200, intvl 20cs, length 12
            1764486817.323456 IP 192.0.2.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s, length 20
            1764486817.4 IP 192.0.2.2 > 224.0
            """);
        Assert.Equal(2, adverts.Count);
        Assert.Equal((3, "192.0.2.1", 51, 200, (string?)null, "20cs"), (adverts[0].Version, adverts[0].Source, adverts[0].Vrid, adverts[0].Priority, adverts[0].Auth, adverts[0].Interval));
        Assert.Equal((2, "224.0.0.18", 100, "simple", "1s"), (adverts[1].Version, adverts[1].Destination, adverts[1].Priority, adverts[1].Auth, adverts[1].Interval));
        Assert.Equal(1764486817.123456, adverts[0].Time, 6);
    }
}
