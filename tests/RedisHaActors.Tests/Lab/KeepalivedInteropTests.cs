using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Issue 5, keepalived interop both ways: one redis-ha node (n1, 192.0.2.1, with its Redis) and
/// Debian's keepalived 2.2.7 (n2, 192.0.2.2, a plain vrrp_instance without any check) on VRID 51
/// and VIP 192.0.2.100, in three wire modes:
/// <list type="bullet">
/// <item><c>v3</c>: VRRPv3 multicast, 200 ms adverts.</item>
/// <item><c>v2-pass</c>: VRRPv2 multicast with PASS authentication "secret12", 1 s adverts.</item>
/// <item><c>v3-unicast</c>: VRRPv3 unicast between 192.0.2.1 and 192.0.2.2, 200 ms adverts.</item>
/// </list>
/// n2 also runs a Redis (the data the keepalived node serves): redis-ha preempts a lower-priority
/// master only while its own Redis is a replica with its link up, so n1's Redis starts as a
/// replica of n2's. Tests assert end states and order with generous limits; timing is
/// bench/takeover.sh's job (the timings measured here are only written to the test output).
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class KeepalivedInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(5);

    private const int Ours = 1;
    private const int Ka = 2;

    private sealed record Mode(string Name, int Version, string AdvertInterval, string OurHocon, string KaGlobalDefs, string KaExtra)
    {
        public bool Unicast => Name.Contains("unicast", StringComparison.Ordinal);
    }

    private static Mode ModeOf(string name) => name switch
    {
        "v3" => new Mode(name, 3, "0.2",
            "",
            "vrrp_version 3",
            ""),
        "v2-pass" => new Mode(name, 2, "1",
            """redis-ha.vrrp { version = 2, advert-interval = 1s, authentication { type = pass, password = "secret12" } }""",
            "vrrp_version 2",
            """
            authentication {
                auth_type PASS
                auth_pass secret12
            }
            """),
        "v3-unicast" => new Mode(name, 3, "0.2",
            """redis-ha.vrrp.unicast-peers = ["192.0.2.2"]""",
            "vrrp_version 3",
            """
            unicast_src_ip 192.0.2.2
            unicast_peer {
                192.0.2.1
            }
            """),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static string KaInstance(Mode mode, int priority) => $$"""
        state BACKUP
        interface eth0
        virtual_router_id 51
        priority {{priority}}
        advert_int {{mode.AdvertInterval}}
        {{mode.KaExtra}}
        virtual_ipaddress {
            192.0.2.100/24 dev eth0
        }
        """;

    private static void StartKeepalived(NamespaceLab lab, Mode mode, int priority) =>
        lab.StartKeepalived(Ka, KaInstance(mode, priority), mode.KaGlobalDefs);

    private static void StartOurs(NamespaceLab lab, Mode mode, int priority) =>
        lab.StartNode(Ours, priority, preempt: true, extra: mode.OurHocon);

    private static int Count(string text, string what) => NamespaceLab.Occurrences(text, what);

    /// <summary>keepalived's complaints about received packets (2.2.7 wording: "bogus VRRP packet",
    /// "Invalid ttl", "advertisement interval mismatch", "received an invalid passwd", "VRRP version mismatch",
    /// "ip address associated with VRID ... not present in MASTER advert", checksum errors).</summary>
    [GeneratedRegex(@"invalid|bogus|mismatch|checksum|not present|wrong|unknown", RegexOptions.IgnoreCase)]
    private static partial Regex KaComplaint();

    private static string[] KaComplaints(NamespaceLab lab) => lab.KeepalivedLog(Ka).Split('\n')
        .Where(l => KaComplaint().IsMatch(l)).Select(l => l.Trim()).ToArray();

    /// <summary>
    /// Our adverts as keepalived's node sees them on the wire (capture in n2) must be in the
    /// mode's format: version, PASS authentication for v2, unicast to 192.0.2.2 for unicast.
    /// Waits for 3 of them first.
    /// </summary>
    private static void AssertOurWireFormat(NamespaceLab lab, Mode mode)
    {
        try
        {
            lab.WaitUntil(() => lab.CaptureAdverts().Count(a => a.Source == "192.0.2.1") >= 3, Limit, "3 adverts from ours seen at n2");
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"[{mode.Name}] fewer than 3 adverts from 192.0.2.1 reached keepalived's node in {Limit.TotalSeconds} s; capture at n2:\n" +
                string.Join("\n", lab.CaptureText().Split('\n').TakeLast(10)));
        }
        var ours = lab.CaptureAdverts().Where(a => a.Source == "192.0.2.1").ToArray();
        var expectedDestination = mode.Unicast ? "192.0.2.2" : "224.0.0.18";
        var expectedAuth = mode.Version == 2 ? "simple" : null;
        var wrong = ours.Where(a => a.Version != mode.Version || a.Destination != expectedDestination || a.Auth != expectedAuth || a.Vrid != 51).ToArray();
        if (wrong.Length > 0)
            throw new Xunit.Sdk.XunitException(
                $"[{mode.Name}] expected our adverts as VRRPv{mode.Version} to {expectedDestination}" +
                (expectedAuth is null ? "" : $" with authtype {expectedAuth}") +
                $"; {wrong.Length} of {ours.Length} were not, e.g.:\n  {wrong[0].Line}\n" +
                $"VIP holders now: [{string.Join(",", lab.VipHolders())}]; keepalived states: " +
                string.Join(" | ", lab.KeepalivedLog(Ka).Split('\n').Where(l => l.Contains("Entering", StringComparison.Ordinal)).Select(l => l.Trim())) +
                $"; keepalived complaints: {string.Join(" | ", KaComplaints(lab).Take(3))}" +
                $"; ours dropped: {string.Join(" | ", lab.NodeLog(Ours).Split('\n').Where(l => l.Contains("dropped a VRRP packet", StringComparison.Ordinal)).Select(l => l.Trim()))}");
    }

    /// <summary>Neither side complained about the other's packets.</summary>
    private void AssertNoComplaints(NamespaceLab lab, Mode mode)
    {
        var complaints = KaComplaints(lab);
        Assert.True(complaints.Length == 0, $"[{mode.Name}] keepalived complained about received packets:\n{string.Join("\n", complaints)}");
        var drops = lab.NodeLog(Ours).Split('\n').Where(l => l.Contains("dropped a VRRP packet", StringComparison.Ordinal)).ToArray();
        Assert.True(drops.Length == 0, $"[{mode.Name}] redis-ha dropped keepalived's packets:\n{string.Join("\n", drops)}");
        output.WriteLine($"[{mode.Name}] adverts captured at n2: {lab.CaptureAdverts().Count(a => a.Source == "192.0.2.1")} from ours, " +
                         $"{lab.CaptureAdverts().Count(a => a.Source == "192.0.2.2")} from keepalived");
    }

    /// <summary>The invariant holds at every 100 ms poll for <paramref name="duration"/>.</summary>
    private static void HoldsFor(NamespaceLab lab, TimeSpan duration, Func<bool> invariant, string what)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 10_000 && sw.Elapsed < duration; i++)
        {
            if (!invariant()) throw new Xunit.Sdk.XunitException($"broken after {sw.Elapsed.TotalSeconds:0.0} s: {what}\n{lab.AllLogs()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>
    /// keepalived (priority 100) becomes MASTER alone; then ours (priority 200, preempt on, its
    /// Redis a replica of n2's) starts and takes over: VIP on n1 only, keepalived back to BACKUP.
    /// </summary>
    private void KeepalivedFirstThenOursPreempts(NamespaceLab lab, Mode mode)
    {
        lab.StartRedis(Ka);
        lab.StartRedis(Ours, "--replicaof", "192.0.2.2", "6379");
        lab.StartCapture(Ka);
        StartKeepalived(lab, mode, priority: 100);
        lab.WaitUntil(() => lab.KeepalivedLog(Ka).Contains("Entering MASTER STATE") && lab.VipHolders().SequenceEqual([Ka]),
            Limit, "keepalived MASTER with the VIP");

        StartOurs(lab, mode, priority: 200);
        AssertOurWireFormat(lab, mode);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ours]), Limit, "ours preempts: VIP on n1 only");
        lab.WaitUntil(() =>
        {
            var log = lab.KeepalivedLog(Ka);
            var master = log.IndexOf("Entering MASTER STATE", StringComparison.Ordinal);
            return master >= 0 && log.IndexOf("Entering BACKUP STATE", master, StringComparison.Ordinal) > master;
        }, Limit, "keepalived logs MASTER, then BACKUP");
        Assert.Contains("BACKUP -> MASTER: preempt: priority 200 over master 192.0.2.2", lab.NodeLog(Ours));
        Assert.Matches(@"Master received advert from 192\.0\.2\.1 with higher priority 200, ours 100", lab.KeepalivedLog(Ka));
        HoldsFor(lab, TimeSpan.FromSeconds(2), () => lab.VipHolders().SequenceEqual([Ours]), "VIP stays on n1 only");
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("v2-pass")]
    [InlineData("v3-unicast")]
    public void Ours_preempts_keepalived_and_after_kill_9_keepalived_takes_over_once_our_VIP_lease_lapses(string modeName)
    {
        var mode = ModeOf(modeName);
        using var lab = new NamespaceLab(output: output);
        KeepalivedFirstThenOursPreempts(lab, mode);
        var kaMasters = Count(lab.KeepalivedLog(Ka), "Entering MASTER STATE");

        var sw = Stopwatch.StartNew();
        lab.KillNode(Ours); // SIGKILL: no priority-0 advert, the VIP stays until its lease lapses
        // Poll until n2 alone holds the VIP, keeping the sequence of distinct holder sets.
        var sequence = new List<(double At, string Holders)>();
        TimeSpan? kaMasterAt = null, oursGoneAt = null;
        while (sw.Elapsed < Limit)
        {
            var holders = string.Join(",", lab.VipHolders());
            if (sequence.Count == 0 || sequence[^1].Holders != holders) sequence.Add((sw.Elapsed.TotalSeconds, holders));
            if (kaMasterAt is null && Count(lab.KeepalivedLog(Ka), "Entering MASTER STATE") > kaMasters) kaMasterAt = sw.Elapsed;
            if (oursGoneAt is null && !holders.Split(',').Contains("1")) oursGoneAt = sw.Elapsed;
            if (holders == "2" && kaMasterAt is not null) break;
            Thread.Sleep(100);
        }
        var timeline = string.Join(" -> ", sequence.Select(s => $"[{s.Holders}]@{s.At:0.00}s"));
        output.WriteLine($"[{mode.Name}] after kill -9: VIP holders {timeline}; keepalived MASTER seen at {kaMasterAt?.TotalSeconds:0.00} s; " +
                         $"n1's VIP gone at {oursGoneAt?.TotalSeconds:0.00} s");

        Assert.True(kaMasterAt is not null, $"[{mode.Name}] keepalived did not become MASTER within {Limit.TotalSeconds} s after kill -9\n{lab.AllLogs()}");
        Assert.True(sequence[^1].Holders == "2", $"[{mode.Name}] VIP not on n2 only within {Limit.TotalSeconds} s: {timeline}\n{lab.AllLogs()}");
        // Order: once n1 lost the VIP it never had it again, and once n2 had it, it kept it.
        var n1Lost = sequence.FindIndex(s => !s.Holders.Split(',').Contains("1"));
        var n2Got = sequence.FindIndex(s => s.Holders.Split(',').Contains("2"));
        Assert.True(sequence.Skip(n1Lost).All(s => !s.Holders.Split(',').Contains("1")), $"n1 regained the VIP: {timeline}");
        Assert.True(sequence.Skip(n2Got).All(s => s.Holders.Split(',').Contains("2")), $"n2 lost the VIP again: {timeline}");
        // Nothing but the lease removes a killed node's VIP: it outlives the kill by >= 1 s
        // (lease 2 s, renewed every 0.5 s).
        Assert.True(oursGoneAt >= TimeSpan.FromSeconds(1), $"n1's VIP vanished {oursGoneAt?.TotalSeconds:0.00} s after kill -9, before its lease could lapse: {timeline}");
        Assert.Contains("Entering MASTER STATE", lab.KeepalivedLog(Ka)[lab.KeepalivedLog(Ka).LastIndexOf("Entering BACKUP STATE", StringComparison.Ordinal)..]);
        AssertNoComplaints(lab, mode);
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("v2-pass")]
    [InlineData("v3-unicast")]
    public void SIGTERM_of_ours_hands_over_to_keepalived_with_a_priority_0_advert(string modeName)
    {
        var mode = ModeOf(modeName);
        using var lab = new NamespaceLab(output: output);
        KeepalivedFirstThenOursPreempts(lab, mode);
        var kaLogBefore = lab.KeepalivedLog(Ka).Length;

        var sw = Stopwatch.StartNew();
        var exit = lab.TerminateNode(Ours, TimeSpan.FromSeconds(15));
        var exited = sw.Elapsed;
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ka]), Limit, "VIP on n2 only");
        var vipMoved = sw.Elapsed;
        output.WriteLine($"[{mode.Name}] SIGTERM: ours exited after {exited.TotalSeconds:0.00} s, VIP on n2 only after {vipMoved.TotalSeconds:0.00} s");

        Assert.Equal(0, exit);
        Assert.Contains("MASTER -> INITIALIZE: shutdown", lab.NodeLog(Ours));
        var kaAfter = lab.KeepalivedLog(Ka)[kaLogBefore..];
        // keepalived 2.2.7: "(VI_1) Backup received priority 0 advertisement" then "(VI_1) Entering MASTER STATE".
        Assert.Contains("received priority 0 advertisement", kaAfter);
        Assert.True(kaAfter.IndexOf("received priority 0 advertisement", StringComparison.Ordinal) < kaAfter.IndexOf("Entering MASTER STATE", StringComparison.Ordinal),
            $"keepalived did not take over on the priority-0 advert:\n{kaAfter}");
        // (keepalived then logs "Receive advertisement timeout" when its Skew_Time runs out: expected.)
        // tcpdump's lines arrive asynchronously: wait for keepalived's first advert after ours at priority 0.
        CapturedAdvert? prio0 = null, kaFirst = null;
        try
        {
            lab.WaitUntil(() =>
            {
                var adverts = lab.CaptureAdverts();
                prio0 = adverts.FirstOrDefault(a => a.Source == "192.0.2.1" && a.Priority == 0);
                kaFirst = prio0 is null ? null : adverts.FirstOrDefault(a => a.Source == "192.0.2.2" && a.Time > prio0.Time);
                return kaFirst is not null;
            }, TimeSpan.FromSeconds(10), "keepalived's advert after our priority-0 advert in the capture");
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"[{mode.Name}] " + (prio0 is null ? "no priority-0 advert from ours" : "no advert from keepalived after our priority-0 advert") +
                $" in the capture at n2:\n{string.Join("\n", lab.CaptureText().Split('\n').TakeLast(8))}");
        }
        // Timing is only reported: Skew_Time ((256 - 100) / 256 of the interval in v3, of a second in v2), not Master_Down_Interval.
        output.WriteLine($"[{mode.Name}] on the wire: our priority-0 advert -> keepalived's first advert {(kaFirst!.Time - prio0!.Time) * 1000:0} ms");
        AssertNoComplaints(lab, mode);
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("v2-pass")]
    [InlineData("v3-unicast")]
    public void Keepalived_at_higher_priority_keeps_ours_BACKUP(string modeName)
    {
        var mode = ModeOf(modeName);
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(Ours);
        lab.StartRedis(Ka);
        lab.StartCapture(Ka);

        // 1. Ours alone becomes MASTER; keepalived at 250 joins and preempts it.
        StartOurs(lab, mode, priority: 100);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ours]), Limit, "ours MASTER alone");
        StartKeepalived(lab, mode, priority: 250);
        AssertOurWireFormat(lab, mode);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ka]), Limit, "keepalived takes the VIP from ours");
        lab.WaitUntil(() => lab.NodeLog(Ours).Contains("MASTER -> BACKUP: higher priority 250 from 192.0.2.2"), Limit, "ours yields to priority 250");
        HoldsFor(lab, Hold, () => lab.VipHolders().SequenceEqual([Ka]) && Count(lab.NodeLog(Ours), "BACKUP -> MASTER") == 1,
            "ours stays BACKUP, VIP on n2 only");

        // 2. Ours restarted while keepalived is MASTER: it follows keepalived from boot and never becomes MASTER.
        lab.KillNode(Ours);
        lab.WaitUntil(() => !lab.NodeRunning(Ours), Limit, "ours exited");
        var firstRunLog = lab.NodeLog(Ours);
        StartOurs(lab, mode, priority: 100);
        lab.WaitUntil(() => lab.NodeLog(Ours).Contains("following master 192.0.2.2"), Limit, "restarted ours follows keepalived");
        HoldsFor(lab, Hold, () => lab.VipHolders().SequenceEqual([Ka]) && !lab.NodeLog(Ours).Contains("BACKUP -> MASTER"),
            "restarted ours stays BACKUP, VIP on n2 only");
        Assert.Equal(1, Count(lab.KeepalivedLog(Ka), "Entering MASTER STATE"));
        Assert.True(lab.KeepalivedRunning(Ka));
        output.WriteLine($"[{mode.Name}] first run of ours:\n{firstRunLog}");
        AssertNoComplaints(lab, mode);
    }

    [Fact]
    public void A_keepalived_address_owner_at_priority_255_takes_over_from_ours_at_once()
    {
        var mode = ModeOf("v3");
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(Ours);
        lab.StartRedis(Ka);
        StartOurs(lab, mode, priority: 200);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ours]), Limit, "ours MASTER alone");

        // RFC 5798 §6.4.1: an owner (255) goes MASTER at startup without waiting Master_Down_Interval;
        // ours steps down on its first advert.
        var started = System.Diagnostics.Stopwatch.StartNew();
        lab.StartKeepalived(Ka, KaInstance(mode, 255).Replace("state BACKUP", "state MASTER"), mode.KaGlobalDefs);
        lab.WaitUntil(() => lab.NodeLog(Ours).Contains("MASTER -> BACKUP: higher priority 255 from 192.0.2.2"), Limit, "ours yields to the owner");
        var yieldedAfter = started.Elapsed;
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([Ka]), Limit, "the VIP only on the owner");
        // keepalived needs about a second to start here; ours must not wait a Master_Down_Interval on top.
        Assert.True(yieldedAfter < TimeSpan.FromSeconds(10), $"ours yielded {yieldedAfter.TotalSeconds:0.00} s after keepalived was started");
        output.WriteLine($"ours yielded {yieldedAfter.TotalMilliseconds:0} ms after starting keepalived\n{lab.AllLogs()}");
        AssertNoComplaints(lab, mode);
    }
}
