using RedisHaActors.Primitives;
using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>
/// Maintenance mode in the VRRP machine (<see cref="MaintenanceVerdict"/>): a paused master holds the VIP with no
/// expiry, keeps it when it stops, and a node that starts paused keeps the VIP it finds.
/// </summary>
public sealed class VrrpMaintenanceTests
{
    private static (VrrpDriver Driver, TimeSpan Since) Master()
    {
        var d = new VrrpDriver(Settings(), Node2, guarded: true);
        d.Quorum(At(0), true);
        var since = d.BecomeMaster(At(0));
        return (d, since);
    }

    [Fact]
    public void A_master_that_is_paused_renews_at_once_and_its_lease_never_lapses()
    {
        var (d, since) = Master();

        var actions = d.Apply(new MaintenanceVerdict(true), since + At(100));

        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.Single(actions.OfType<RenewVirtualAddresses>());
        var lease = d.Machine.LeaseOf(d.State)!;
        Assert.True(lease.Unlimited);
        // Long past the 2 s lease (a stalled or restarting coordinator): the master still holds it.
        d.Timer(since + TimeSpan.FromSeconds(30));
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    [Fact]
    public void A_paused_master_that_stops_keeps_the_VIP_and_sends_no_priority_0()
    {
        var (d, since) = Master();
        d.Apply(new MaintenanceVerdict(true), since + At(100));

        var actions = d.Apply(new Shutdown(), since + At(200));

        Assert.Equal(VrrpState.Initialize, d.State.State);
        Assert.DoesNotContain(actions, a => a is ReleaseVirtualAddresses);
        Assert.DoesNotContain(actions, a => a is SendAdvertisement);
        Assert.Contains("paused", Assert.Single(actions.OfType<StateChanged>()).Cause);
    }

    [Fact]
    public void Without_the_pause_a_stopping_master_still_hands_over_with_priority_0()
    {
        var (d, since) = Master();

        var actions = d.Apply(new Shutdown(), since + At(200));

        Assert.Contains(actions, a => a is SendAdvertisement { Priority: 0 });
        Assert.Single(actions.OfType<ReleaseVirtualAddresses>());
    }

    [Fact]
    public void A_node_that_starts_paused_keeps_the_VIP_it_finds_and_drops_it_if_the_set_was_resumed_meanwhile()
    {
        var d = new VrrpDriver(Settings(), Node2, guarded: true);
        d.Apply(new MaintenanceVerdict(true), At(0));

        var startup = d.Startup(At(0));

        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.DoesNotContain(startup, a => a is ReleaseVirtualAddresses);
        // Resumed while it was down (resume --force, another node took over): a backup holds no VIP.
        var resumed = d.Apply(new MaintenanceVerdict(false), At(500));
        Assert.Single(resumed.OfType<ReleaseVirtualAddresses>());
    }

    [Fact]
    public void A_normal_start_still_removes_a_stale_VIP()
    {
        var d = new VrrpDriver(Settings(), Node2, guarded: true);
        Assert.Single(d.Startup(At(0)).OfType<ReleaseVirtualAddresses>());
    }

    [Fact]
    public void Resuming_a_master_renews_with_the_normal_lease_again()
    {
        var (d, since) = Master();
        d.Apply(new MaintenanceVerdict(true), since + At(100));

        var actions = d.Apply(new MaintenanceVerdict(false), since + At(200));

        Assert.Single(actions.OfType<RenewVirtualAddresses>());
        Assert.Equal(TimeSpan.FromSeconds(2), d.Machine.LeaseOf(d.State)!.Length);
        Assert.False(new Lease(At(0), Lease.NoExpiry).LapsedAt(TimeSpan.FromDays(365)));
    }

    [Fact]
    public void A_priority_change_on_a_master_is_only_advertised_no_state_change()
    {
        var (d, since) = Master();

        var actions = d.Health(since + At(100), eligible: true, priority: 150);

        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.DoesNotContain(actions, a => a is StateChanged);
        Assert.Equal(150, d.State.Priority);
        Assert.Contains(d.Timer(d.State.AdverTimer!.Value), a => a is SendAdvertisement { Priority: 150 });
    }
}
