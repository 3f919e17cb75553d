using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;
using static RedisHaActors.Tests.Vrrp.VrrpStateMachineTests;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>A master that cannot hold its VIP (acquire or renew failed) yields and is held back, so a peer takes over.</summary>
public sealed class VrrpVipFailureTests
{
    private const string Eperm = "RTM_NEWADDR 192.0.2.100/24: operation not permitted (needs CAP_NET_ADMIN)";

    [Theory]
    [InlineData(VipOperation.Acquire, "VIP acquire failed: ")]
    [InlineData(VipOperation.Renew, "VIP renew failed: ")]
    public void A_master_whose_VIP_add_or_renew_failed_yields_with_priority_zero(VipOperation operation, string causePrefix)
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        var actions = d.Apply(new VirtualAddressesFailed(operation, Eperm), since + At(50));
        Assert.Equal(["Send(0)", "Release", "State(Master->Backup)"], Describe(actions));
        Assert.Equal(causePrefix + Eperm, actions.OfType<StateChanged>().Single().Cause);
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void The_yielded_node_is_held_back_from_MASTER_for_the_hold_then_may_take_over_again()
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        var failedAt = since + At(50);
        d.Apply(new VirtualAddressesFailed(VipOperation.Acquire, Eperm), failedAt);
        var holdEnd = failedAt + VrrpStateMachine.VipFailureHold;
        Assert.Equal(holdEnd, d.State.MasterDownTimer);
        // Silence from everyone for the whole hold: still BACKUP (Master_Down_Interval is 3.2 s).
        Assert.Empty(d.Timer(failedAt + At(3300)));
        Assert.Empty(d.Timer(holdEnd - At(1)));
        Assert.Equal(VrrpState.Backup, d.State.State);
        // A peer that takes over meanwhile and leaves (priority 0) does not shorten the hold either.
        d.Advert(failedAt + At(4000), 100, Node1);
        d.Advert(failedAt + At(5000), 0, Node1);
        Assert.Equal(holdEnd, d.State.MasterDownTimer);
        // After the hold it may try again (a transient netlink error should not keep it out for good).
        Assert.Equal(["Send(200)", "Acquire", "State(Backup->Master)"], Describe(d.Timer(holdEnd)));
    }

    [Fact]
    public void A_peer_master_heard_during_the_hold_is_followed_and_the_hold_outlasts_its_adverts()
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        d.Apply(new VirtualAddressesFailed(VipOperation.Renew, Eperm), since + At(50));
        d.Advert(since + At(300), 100, Node1);
        Assert.Equal(Node1, d.State.MasterAddress);
        Assert.Equal(since + At(50) + VrrpStateMachine.VipFailureHold, d.State.MasterDownTimer);
        // Preempt is on and we rank higher, but held back we neither preempt nor take over.
        Assert.Empty(d.Timer(since + At(4000)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Theory]
    [InlineData(VipOperation.Acquire)]
    [InlineData(VipOperation.Renew)]
    [InlineData(VipOperation.Release)]
    public void A_failure_report_outside_MASTER_changes_nothing(VipOperation operation)
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        var before = d.State;
        Assert.Empty(d.Apply(new VirtualAddressesFailed(operation, Eperm), At(10)));
        Assert.Equal(before, d.State);
    }

    [Fact]
    public void A_failed_release_while_MASTER_does_not_make_it_yield()
    {
        // Only acquire and renew say "we do not hold the VIP"; a release failure is the past.
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        Assert.Empty(d.Apply(new VirtualAddressesFailed(VipOperation.Release, Eperm), since + At(10)));
        Assert.Equal(VrrpState.Master, d.State.State);
    }
}
