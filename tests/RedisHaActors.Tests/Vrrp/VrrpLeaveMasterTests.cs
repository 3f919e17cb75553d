using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>
/// Every way out of MASTER goes through one leave function (keepalived's vrrp_state_leave_master):
/// whatever the trigger, the master-only fields end up cleared and the VIP released exactly once.
/// </summary>
public sealed class VrrpLeaveMasterTests
{
    /// <summary>Each trigger that takes a master out of MASTER, applied 500 ms after it took over.</summary>
    public static TheoryData<string> Exits => new()
    {
        "link down", "shutdown", "higher priority advert", "equal priority from higher address", "quorum lost",
        "cluster shows a higher master", "yield (Redis unhealthy)", "lease lapsed", "VIP renew failed",
    };

    private static IReadOnlyList<VrrpAction> Leave(VrrpDriver d, string exit, TimeSpan at) => exit switch
    {
        "link down" => d.Apply(new LinkChanged(false, "eth0 operstate down"), at),
        "shutdown" => d.Apply(new Shutdown(), at),
        "higher priority advert" => d.Advert(at, 250, Node1),
        "equal priority from higher address" => d.Advert(at, 200, Node3),
        "quorum lost" => d.Quorum(at, false, "no quorum"),
        "cluster shows a higher master" => d.ClusterMasters(at, new ClusterMaster(Node3, 250)),
        "yield (Redis unhealthy)" => d.Health(at, eligible: false),
        // The lease is 2 s: a timer that fires that late finds it lapsed.
        "lease lapsed" => d.Timer(at + TimeSpan.FromSeconds(2)),
        "VIP renew failed" => d.Apply(new VirtualAddressesFailed(VipOperation.Renew, "RTM_NEWADDR: operation not permitted"), at),
        _ => throw new ArgumentOutOfRangeException(nameof(exit)),
    };

    [Theory]
    [MemberData(nameof(Exits))]
    public void Every_path_out_of_MASTER_clears_the_same_master_only_fields_and_releases_once(string exit)
    {
        var d = new VrrpDriver(Settings(), Node2, guarded: true);
        d.Quorum(At(0), true);
        var since = d.BecomeMaster(At(0));
        d.Timer(since + At(250)); // a renewal and an advert, so both master-only fields are set
        Assert.NotNull(d.State.AdverTimer);
        Assert.NotNull(d.State.LastRenewalAt);

        var actions = Leave(d, exit, since + At(500));

        Assert.NotEqual(VrrpState.Master, d.State.State);
        Assert.Null(d.State.AdverTimer);
        Assert.Null(d.State.LastRenewalAt);
        Assert.Single(actions.OfType<ReleaseVirtualAddresses>());
        Assert.DoesNotContain(actions, a => a is AcquireVirtualAddresses or RenewVirtualAddresses or AnnounceVirtualAddresses);
        Assert.DoesNotContain(actions, a => a is SendAdvertisement { Priority: > 0 });
        var changed = Assert.IsType<StateChanged>(actions[^1]);
        Assert.Equal(VrrpState.Master, changed.From);
        Assert.Equal(d.State.State, changed.To);
        // No master timer survives: the next deadline is Master_Down_Timer or none.
        Assert.Equal(d.State.MasterDownTimer, d.Machine.NextDeadline(d.State));
    }
}
