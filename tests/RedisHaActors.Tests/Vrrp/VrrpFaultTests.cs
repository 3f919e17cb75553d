using RedisHaActors.Redis;
using RedisHaActors.Vrrp;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;

using RedisHaActors.Tests.Redis;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>keepalived's FAULT state: interface down or address lost.</summary>
public sealed class VrrpFaultTests
{
    private static string[] Describe(IReadOnlyList<VrrpAction> a) => VrrpStateMachineTests.Describe(a);

    [Fact]
    public void A_master_whose_link_fails_sends_priority_zero_releases_the_VIP_and_goes_to_FAULT()
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        var actions = d.Apply(new LinkChanged(false, "eth0 operstate down"), since + At(100));
        Assert.Equal(["Send(0)", "Release", "State(Master->Fault)"], Describe(actions));
        Assert.Equal(VrrpState.Fault, d.State.State);
        Assert.Null(d.Machine.NextDeadline(d.State));
        Assert.Contains("operstate down", actions.OfType<StateChanged>().Single().Cause);
    }

    [Fact]
    public void In_FAULT_nothing_moves_adverts_timers_and_health_are_ignored_but_health_is_remembered()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        Assert.Equal(["Release", "State(Backup->Fault)"], Describe(d.Apply(new LinkChanged(false, "eth0 lost its address"), At(10))));
        Assert.Empty(d.Advert(At(20), 0, Node1));
        Assert.Empty(d.Timer(At(10_000)));
        Assert.Empty(d.Health(At(10_001), eligible: false, priority: 180));
        Assert.Equal(VrrpState.Fault, d.State.State);
        Assert.Equal(180, d.State.Priority);
        Assert.False(d.State.Eligible);
    }

    [Fact]
    public void When_the_link_returns_the_node_listens_as_BACKUP_first()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        d.Apply(new LinkChanged(false, "down"), At(10));
        var actions = d.Apply(new LinkChanged(true, "eth0 up with 192.0.2.2"), At(5000));
        Assert.Equal(["State(Fault->Backup)"], Describe(actions));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Equal(At(5000) + VrrpStateMachine.MasterDownInterval(200, 100), d.State.MasterDownTimer);
        // A master on the other side is followed; none -> takeover at the deadline.
        d.Timer(d.State.MasterDownTimer!.Value);
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    [Fact]
    public void A_link_change_that_changes_nothing_is_ignored()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        Assert.Empty(d.Apply(new LinkChanged(true, "up"), At(10)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void The_planner_fences_a_master_Redis_in_FAULT_and_leaves_a_replica_alone()
    {
        var master = new ReplicationFacts(RedisRole.Master, null, null, false, 10, 0, "id", 0, "no-failover");
        var replica = new ReplicationFacts(RedisRole.Replica, "192.0.2.1", 6379, false, 10, 10, "id", 0, "no-failover");
        Assert.IsType<FenceLocal>(PlanHelper.Plan(VrrpState.Fault, null, Node1, 6379, master, null));
        Assert.IsType<RoleSteady>(PlanHelper.Plan(VrrpState.Fault, null, Node1, 6379, replica, null));
    }
}
