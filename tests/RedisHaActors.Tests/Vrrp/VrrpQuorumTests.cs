using System.Net;
using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.VrrpStateMachineTests;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>How the cluster guard's verdicts steer <see cref="VrrpStateMachine"/>.</summary>
public sealed class VrrpQuorumTests
{
    private static VrrpDriver Guarded(byte priority = 200) => new(TestPackets.Settings(priority: priority, intervalCs: 20), TestPackets.Node2, guarded: true);

    [Fact]
    public void A_guarded_node_never_arms_Master_Down_before_quorum_and_starts_the_wait_when_quorum_comes()
    {
        var d = Guarded();
        d.EligibleBackup(At(0));
        Assert.Null(d.State.MasterDownTimer);
        Assert.Empty(d.Timer(At(5000)));
        Assert.Equal(VrrpState.Backup, d.State.State);

        d.Quorum(At(6000), true);
        // Master_Down_Interval (643.75 ms at priority 200, 200 ms adverts) counts from the verdict.
        Assert.Equal(At(6643.75), d.State.MasterDownTimer);
        Assert.Equal(["Send(200)", "Acquire", "State(Backup->Master)"], Describe(d.Timer(At(6643.75))));
    }

    [Fact]
    public void A_master_that_loses_quorum_steps_down_with_priority_0_and_releases_the_VIP()
    {
        var d = Guarded();
        d.Quorum(At(0), true);
        d.BecomeMaster(At(0));
        var actions = d.Quorum(At(2000), false, "no quorum: sees 1 of 3 voters, needs 2");
        Assert.Equal(["Send(0)", "Release", "State(Master->Backup)"], Describe(actions));
        Assert.Equal("no quorum: sees 1 of 3 voters, needs 2", actions.OfType<StateChanged>().Single().Cause);
        Assert.Null(d.State.MasterDownTimer);
        // Silence from the old peer does not make it master again while in the minority.
        Assert.Empty(d.Timer(At(9000)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void A_backup_without_quorum_ignores_a_leaving_masters_priority_0()
    {
        var d = Guarded();
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 250);
        d.Quorum(At(200), false);
        d.Advert(At(300), 0);
        Assert.Null(d.State.MasterDownTimer);
        Assert.Empty(d.Timer(At(5000)));
    }

    [Fact]
    public void Silent_VRRP_with_the_master_alive_in_the_cluster_does_not_take_over_and_warns_once()
    {
        var d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.ClusterMasters(At(150), new ClusterMaster(TestPackets.Node1, 200));
        var deadline = d.State.MasterDownTimer!.Value;
        var first = d.Timer(deadline);
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Equal(["Warn", "ProbeSilentMaster"], Describe(first));
        Assert.Contains("master 192.0.2.1 (priority 200) is up and reachable in the cluster: not taking over", first.OfType<Warn>().Single().Message);
        // Warned once; asked again each Master_Down_Interval whether its processes are gone.
        Assert.Equal(new ProbeSilentMaster(TestPackets.Node1), Assert.Single(d.Timer(d.State.MasterDownTimer!.Value)));
        Assert.Equal(VrrpState.Backup, d.State.State);

        // The master becomes unreachable in the cluster too: now it is really gone.
        d.ClusterMasters(At(5000));
        var takeover = d.Timer(d.State.MasterDownTimer!.Value);
        Assert.Contains("State(Backup->Master)", Describe(takeover));
    }

    [Fact]
    public void A_silent_master_proven_gone_is_taken_over_at_once_though_its_gossip_still_says_master()
    {
        var d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.ClusterMasters(At(150), new ClusterMaster(TestPackets.Node1, 200));
        // A proof before Master_Down_Interval ran out does not cut it short (the advert is only 0.2 s old),
        // but its claim no longer holds the takeover back when the timer runs out.
        Assert.Empty(d.Apply(new ClusterMasterGone(TestPackets.Node1, "ports refused"), At(300)));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Contains("State(Backup->Master)", Describe(d.Timer(d.State.MasterDownTimer!.Value)));
        // The usual order: held back first, then the proof takes over at once.
        d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.ClusterMasters(At(150), new ClusterMaster(TestPackets.Node1, 200));
        d.Timer(d.State.MasterDownTimer!.Value);
        var proven = d.Apply(new ClusterMasterGone(TestPackets.Node1, "ports refused"), At(900));
        Assert.Contains("State(Backup->Master)", Describe(proven));
        // As master, the dead master's stale MASTER gossip does not make this node step down.
        Assert.DoesNotContain("State(Master->Backup)", Describe(d.ClusterMasters(At(1000), new ClusterMaster(TestPackets.Node1, 200))));
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    [Fact]
    public void A_master_proven_gone_that_advertises_again_counts_again()
    {
        var d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.ClusterMasters(At(150), new ClusterMaster(TestPackets.Node1, 200));
        d.Apply(new ClusterMasterGone(TestPackets.Node1, "ports refused"), At(200));
        d.Advert(At(300), 200, TestPackets.Node1); // restarted, back
        Assert.Null(d.State.GoneMaster);
        Assert.Contains("ProbeSilentMaster", Describe(d.Timer(d.State.MasterDownTimer!.Value)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void A_leaving_master_whose_gossip_still_says_master_does_not_block_the_fast_handover()
    {
        var d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.ClusterMasters(At(150), new ClusterMaster(TestPackets.Node1, 200));
        d.Advert(At(200), 0, TestPackets.Node1);
        Assert.Contains("State(Backup->Master)", Describe(d.Timer(d.State.MasterDownTimer!.Value)));
    }

    [Fact]
    public void A_master_that_left_and_is_master_again_in_the_cluster_blocks_a_takeover_once_its_old_gossip_has_passed()
    {
        var d = Guarded(190);
        d.Quorum(At(0), true);
        d.EligibleBackup(At(0));
        d.Advert(At(100), 200, TestPackets.Node1);
        d.Advert(At(200), 0, TestPackets.Node1); // it yields...
        d.ClusterMasters(At(3000), new ClusterMaster(TestPackets.Node1, 200)); // ...and later is master again, VRRP unheard
        d.Apply(new ClusterMastersSeen([new ClusterMaster(TestPackets.Node1, 200)]), At(3000));
        var deadline = d.State.MasterDownTimer!.Value;
        var actions = d.Timer(deadline > At(3000) ? deadline : At(3000));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Equal(["Warn", "ProbeSilentMaster"], Describe(actions));
    }

    [Theory]
    [InlineData(210, "192.0.2.1", true)]   // higher priority
    [InlineData(200, "192.0.2.3", true)]   // equal priority, higher address than ours (192.0.2.2)
    [InlineData(200, "192.0.2.1", false)]  // equal priority, lower address
    [InlineData(190, "192.0.2.3", false)]  // lower priority
    public void Of_two_masters_that_cannot_hear_each_other_the_lower_ranked_steps_down(byte peerPriority, string peer, bool stepsDown)
    {
        var d = Guarded(200);
        d.Quorum(At(0), true);
        var since = d.BecomeMaster(At(0));
        var actions = d.ClusterMasters(since + At(300), new ClusterMaster(IPAddress.Parse(peer), peerPriority));
        if (stepsDown)
        {
            Assert.Equal(["Release", "State(Master->Backup)"], Describe(actions));
            Assert.Equal(IPAddress.Parse(peer), d.State.MasterAddress);
        }
        else
        {
            Assert.Empty(actions);
            Assert.Equal(VrrpState.Master, d.State.State);
        }
    }

    [Fact]
    public void An_unguarded_node_behaves_as_before()
    {
        var d = new VrrpDriver(TestPackets.Settings(intervalCs: 20));
        Assert.True(d.State.Quorum);
        d.EligibleBackup(At(0));
        Assert.NotNull(d.State.MasterDownTimer);
    }

    [Fact]
    public void A_master_that_took_over_from_a_leaving_master_ignores_its_stale_MASTER_gossip_for_the_grace()
    {
        // n1 (priority 200) stops: priority 0, so n2 takes over after Skew_Time; n1's gossip still
        // says MASTER 200 for a moment. n2 must not step down for it (a second VIP move).
        var d = Guarded(190);
        d.EligibleBackup(At(0));
        d.Quorum(At(0), true);
        d.Advert(At(100), 200);
        d.Advert(At(300), 0);
        d.Timer(d.State.MasterDownTimer!.Value);
        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.Empty(d.ClusterMasters(At(600), new ClusterMaster(TestPackets.Node1, 200)));
        Assert.Equal(VrrpState.Master, d.State.State);
        // Past the grace, a MASTER claim it cannot hear is news again: two masters, the lower steps down.
        var late = d.ClusterMasters(At(300) + VrrpStateMachine.LeftMasterGrace + At(100), new ClusterMaster(TestPackets.Node1, 200));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Contains(late, a => a is StateChanged { To: VrrpState.Backup });
    }
}
