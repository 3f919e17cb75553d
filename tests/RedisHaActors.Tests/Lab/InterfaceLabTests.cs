using System.Diagnostics;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// The interface is followed, not assumed: a node whose eth0 is deleted and created again (a VLAN,
/// bond or veth re-created by the network manager) or that starts before its address exists keeps
/// working. Uses only <see cref="NamespaceLab"/>'s public API and lab.sh's interface functions.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class InterfaceLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Runs a lab.sh function that the command-line dispatch does not list (sourced, then called).</summary>
    private static string LabFunction(params string[] args) =>
        NamespaceLab.Run("bash", ["-c", "source \"$1\" && shift && \"$@\"", "lab-function", Path.Combine(NamespaceLab.RepoRoot, "lab/lab.sh"), .. args]);

    /// <summary>The part of node i's log written after <paramref name="from"/> characters.</summary>
    private static string LogSince(NamespaceLab lab, int node, int from) => lab.NodeLog(node)[from..];

    /// <summary>Samples the VIP holders for <paramref name="span"/> (every 200 ms, bounded) and returns every set seen.</summary>
    private static List<int[]> HoldersDuring(NamespaceLab lab, TimeSpan span)
    {
        var seen = new List<int[]>();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 500 && sw.Elapsed < span; i++)
        {
            seen.Add(lab.VipHolders());
            Thread.Sleep(200);
        }
        return seen;
    }

    [Fact]
    public void A_backup_whose_interface_is_re_created_hears_its_master_again_and_never_takes_the_VIP()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        lab.StartNode(2, priority: 190, preempt: true);
        lab.WaitUntil(() => lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n2 a replica of n1");
        lab.WaitUntil(() => lab.NodeLog(2).Contains("following master 192.0.2.1"), Limit, "n2 follows n1");

        LabFunction("lab_iface_delete", lab.Prefix, "2");
        try
        {
            lab.WaitUntil(() => lab.NodeLog(2).Contains("BACKUP -> FAULT"), Limit, "n2 in FAULT");
        }
        finally
        {
            // Always back, so a failure above still leaves a whole lab to tear down and read.
            LabFunction("lab_iface_create", lab.Prefix, "2");
        }
        lab.WaitUntil(() => lab.NodeLog(2).Contains("FAULT -> BACKUP"), Limit, "n2 leaves FAULT");
        var mark = lab.NodeLog(2).LastIndexOf("FAULT -> BACKUP", StringComparison.Ordinal);
        lab.WaitUntil(() => LogSince(lab, 2, mark).Contains("following master 192.0.2.1"), Limit, "n2 hears n1 on the new interface");

        // Many Master_Down_Intervals (0.65 s at 200 ms adverts): a deaf n2 would have taken over by now.
        var holders = HoldersDuring(lab, TimeSpan.FromSeconds(5));
        Assert.All(holders, h => Assert.Equal([1], h));
        Assert.DoesNotContain("BACKUP -> MASTER", LogSince(lab, 2, mark));
        Assert.Contains("VRRP socket bound to eth0", LogSince(lab, 2, 0));
    }

    [Fact]
    public void A_master_whose_interface_is_re_created_hands_over_and_comes_back_hearing_its_peer()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: false);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");
        lab.StartNode(2, priority: 190, preempt: false);
        lab.WaitUntil(() => lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n2 a replica of n1");
        // A replica that never completed a sync is never promoted: wait for its first one (Redis delays it 5 s).
        lab.WaitUntil(() => lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"), Limit, "n2's first sync from n1");

        LabFunction("lab_iface_delete", lab.Prefix, "1");
        try
        {
            lab.WaitUntil(() => lab.NodeLog(1).Contains("MASTER -> FAULT"), Limit, "n1 in FAULT");
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]), Limit, "n2 takes the VIP");
        }
        finally
        {
            LabFunction("lab_iface_create", lab.Prefix, "1");
        }
        lab.WaitUntil(() => lab.NodeLog(1).Contains("FAULT -> BACKUP"), Limit, "n1 leaves FAULT");
        var mark = lab.NodeLog(1).LastIndexOf("FAULT -> BACKUP", StringComparison.Ordinal);
        lab.WaitUntil(() => LogSince(lab, 1, mark).Contains("following master 192.0.2.2"), Limit, "n1 hears n2 on the new interface");
        var holders = HoldersDuring(lab, TimeSpan.FromSeconds(5));
        Assert.All(holders, h => Assert.Equal([2], h)); // preempt off: n2 keeps it
        Assert.DoesNotContain("BACKUP -> MASTER", LogSince(lab, 1, mark));
    }

    [Fact]
    public void A_node_started_before_its_address_waits_in_FAULT_and_joins_once_the_address_is_added()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: false);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");

        // Boot before DHCP: eth0 is up without its address when n2 starts (announce-host is set by the lab).
        LabFunction("lab_iface_address", lab.Prefix, "2", "del");
        try
        {
            lab.StartNode(2, priority: 190, preempt: false);
            lab.WaitUntil(() => lab.RedisHaCli(2, "status").Stdout.Contains("vrrp:   FAULT"), Limit, "n2's status says FAULT");
            Assert.Contains("eth0 has no IPv4 address yet", lab.RedisHaCli(2, "status").Stdout);
            Assert.True(lab.NodeRunning(2));
            Assert.Contains("warning: eth0 has no IPv4 address yet: VRRP stays in FAULT", lab.NodeLog(2));
            Assert.Equal([1], lab.VipHolders());
        }
        finally
        {
            LabFunction("lab_iface_address", lab.Prefix, "2", "add");
        }
        lab.WaitUntil(() => lab.RedisHaCli(2, "status").Stdout.Contains("vrrp:   BACKUP, master 192.0.2.1"), Limit, "n2 BACKUP following n1");
        lab.WaitUntil(() => lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n2's Redis a replica of n1");
        var holders = HoldersDuring(lab, TimeSpan.FromSeconds(3));
        Assert.All(holders, h => Assert.Equal([1], h));
        Assert.DoesNotContain("BACKUP -> MASTER", lab.NodeLog(2));
    }

    [Fact]
    public void Without_announce_host_a_node_waits_for_its_address_before_it_starts_and_then_joins()
    {
        using var lab = new NamespaceLab(output: output);
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, priority: 200, preempt: false);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), Limit, "n1 holds the VIP");

        LabFunction("lab_iface_address", lab.Prefix, "2", "del");
        try
        {
            // Peers reach n2's Redis at its interface address, so without announce-host it needs the address first.
            lab.StartNode(2, priority: 190, preempt: false, "redis-ha.redis.announce-host = \"\"");
            lab.WaitUntil(() => lab.NodeLog(2).Contains("eth0 has no IPv4 address yet; waiting for an IPv4 address on eth0"), Limit, "n2 waits");
            Thread.Sleep(1500);
            Assert.True(lab.NodeRunning(2));
            Assert.Single(lab.NodeLog(2).Split('\n'), l => l.Contains("waiting for"));
        }
        finally
        {
            LabFunction("lab_iface_address", lab.Prefix, "2", "add");
        }
        lab.WaitUntil(() => lab.NodeLog(2).Contains("there now, starting"), Limit, "n2 starts");
        lab.WaitUntil(() => lab.Role(2) == "slave" && lab.MasterHostOf(2) == "192.0.2.1", Limit, "n2's Redis a replica of n1");
        lab.WaitUntil(() => lab.NodeLog(2).Contains("following master 192.0.2.1"), Limit, "n2 follows n1");
        Assert.Equal([1], lab.VipHolders());
        Assert.DoesNotContain("BACKUP -> MASTER", lab.NodeLog(2));
    }
}
