using System.Net;
using RedisHaActors.Cluster;
using RedisHaActors.Status;
using RedisHaActors.Vrrp;
using Xunit;

namespace RedisHaActors.Tests.Cli;

/// <summary>The cluster lines of <c>redis-ha status</c>.</summary>
public sealed class StatusTextTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddDays(1);

    private static GuardStatus Guard(bool quorum, params PeerView[] peers) =>
        new(true, new QuorumView(quorum, quorum ? 3 : 1, 3, quorum ? "sees 3 of 3 voters" : "no quorum: sees 1 of 3 voters, needs 2"),
            "akka.tcp://redis-ha@192.0.2.1:4053", [], peers);

    private static PeerView Data(string name, bool reachable) =>
        new(new PeerState(name, PeerRole.Data, "akka.tcp://redis-ha@192.0.2.2:4053", "192.0.2.2", "192.0.2.2", 6379, PeerVrrpState.Backup, 190, 1234, PeerRedisRole.Replica, 7, 42), reachable);

    private static PeerView Witness() =>
        new(new PeerState("w", PeerRole.Witness, "akka.tcp://redis-ha@192.0.2.3:4053", "", "", 0, PeerVrrpState.None, 0, -1, PeerRedisRole.None, 3), true);

    [Fact]
    public void A_data_node_shows_its_quorum_view_and_each_peer()
    {
        var s = new NodeStatus("n1", Now, 5, "eth0", 51, 200, ["192.0.2.100/24"], null, null, null, Guard(true, Data("n2", true), Witness()));
        var text = StatusText.Format(s, Now);
        Assert.Contains("cluster: quorum (sees 3 of 3 voters)\n", text);
        Assert.Contains("peer:   n2 BACKUP priority 190, redis replica at 192.0.2.2:6379, offset 1234, 42 keys\n", text);
        Assert.Contains("peer:   w witness\n", text);
        Assert.Contains("vrrp:   (no answer)", text);
    }

    [Fact]
    public void A_minority_node_says_so_and_marks_unreachable_peers()
    {
        var s = new NodeStatus("n1", Now, 5, "eth0", 51, 200, [], null, null, null, Guard(false, Data("n2", false)));
        var text = StatusText.Format(s, Now);
        Assert.Contains("cluster: NO QUORUM (no quorum: sees 1 of 3 voters, needs 2)\n", text);
        Assert.Contains("42 keys, UNREACHABLE\n", text);
    }

    [Fact]
    public void A_witness_shows_only_the_cluster_and_a_node_without_the_guard_says_so()
    {
        var w = new NodeStatus("w", Now, 5, "", 0, 0, [], null, null, null, Guard(true, Data("n2", true)));
        var text = StatusText.Format(w, Now);
        Assert.StartsWith("node w, up 5 s; witness (cluster vote only)\ncluster: quorum", text);
        Assert.DoesNotContain("vrrp:", text);
        var off = StatusText.Format(new NodeStatus("n1", Now, 5, "eth0", 51, 200, [], null, null, null), Now);
        Assert.Contains("cluster: guard off or no answer\n", off);
    }

    [Fact]
    public void A_backup_says_when_the_master_it_followed_fell_silent()
    {
        var vrrp = new VrrpStatus(VrrpState.Backup, 190, false, IPAddress.Parse("192.0.2.1"), 10, new Dictionary<DropReason, long>(), null,
            new Dictionary<VrrpState, long>(), 0, TimeSpan.FromMilliseconds(120));
        var s = new NodeStatus("n2", Now, 5, "eth0", 51, 190, [], vrrp, null, null);
        Assert.Contains("vrrp:   BACKUP, master 192.0.2.1\n", StatusText.Format(s, Now));
        var silent = StatusText.Format(s with { Vrrp = vrrp with { MasterHeardAgo = null } }, Now);
        Assert.Contains("vrrp:   BACKUP, master 192.0.2.1 SILENT (no advert within Master_Down_Interval)\n", silent);
    }

    [Fact]
    public void The_data_rule_that_holds_a_node_back_and_a_forced_promotion_in_progress_are_shown()
    {
        var held = new NodeStatus("n2", Now, 5, "eth0", 51, 190, [], null, null, null, DataRefusal: "its Redis has not completed a sync with 192.0.2.1:6379");
        Assert.Contains("data:   NOT ELIGIBLE: its Redis has not completed a sync with 192.0.2.1:6379\n", StatusText.Format(held, Now));
        var forced = held with { DataRefusal = null, ForcedPromotion = "operator forced promotion: overriding 'x', estimated loss 10 bytes (master offset 10 as last seen, own 0)" };
        var text = StatusText.Format(forced, Now);
        Assert.Contains("forced: IN PROGRESS: operator forced promotion: overriding 'x', estimated loss 10 bytes", text);
        Assert.DoesNotContain("data:", text);
        // max-loss is said once, on the flip line.
        var flip = new RedisHaActors.Redis.RoleFlipStatus(RedisHaActors.Redis.DesiredRole.Replica, null, "", false, null, 1, false, LossRefusal: "above max-loss");
        var bounded = StatusText.Format(held with { RoleFlip = flip, DataRefusal = "above max-loss" }, Now);
        Assert.Equal(1, Occurrences(bounded, "above max-loss"));
    }

    private static int Occurrences(string text, string what) => text.Split(what).Length - 1;

    [Fact]
    public void Failed_VIP_operations_and_a_fenced_Redis_are_shown()
    {
        var vrrp = new RedisHaActors.Vrrp.VrrpStatus(RedisHaActors.Vrrp.VrrpState.Fault, 200, false, null, 12,
            new Dictionary<RedisHaActors.Vrrp.DropReason, long>(), VipFailures: 2);
        var flip = new RedisHaActors.Redis.RoleFlipStatus(RedisHaActors.Redis.DesiredRole.Fenced, null, "", false, null, 1, false);
        var text = StatusText.Format(new NodeStatus("n1", Now, 5, "eth0", 51, 200, ["192.0.2.100/24"], vrrp, null, flip), Now);
        Assert.Contains("adverts sent 12; drops: none; VIP operations FAILED 2\n", text);
        Assert.Contains("flip:   wants read-only (fenced)", text);
        var healthy = StatusText.Format(new NodeStatus("n1", Now, 5, "eth0", 51, 200, [], vrrp with { VipFailures = 0 }, null, flip), Now);
        Assert.DoesNotContain("VIP operations", healthy);
    }

    [Fact]
    public void A_node_that_is_not_eligible_says_why()
    {
        var vrrp = new RedisHaActors.Vrrp.VrrpStatus(RedisHaActors.Vrrp.VrrpState.Backup, 190, false, null, 0,
            new Dictionary<RedisHaActors.Vrrp.DropReason, long>(), IneligibleCause: "not eligible: its Redis has not completed a sync");
        var text = StatusText.Format(new NodeStatus("n2", Now, 5, "eth0", 51, 190, ["192.0.2.100/24"], vrrp, null, null), Now);
        Assert.Contains("priority 190 (configured 190), not eligible; vip 192.0.2.100/24 not held\n        not eligible: its Redis has not completed a sync\n", text);
        var eligible = StatusText.Format(new NodeStatus("n2", Now, 5, "eth0", 51, 190, [], vrrp with { Eligible = true, IneligibleCause = null }, null, null), Now);
        Assert.DoesNotContain("not eligible", eligible);
    }
}
