using RedisHaActors.Primitives;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Hosting;
using RedisHaActors.Vrrp;
using RedisHaActors.Vrrp.Net;

using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Vrrp;

public sealed class VrrpActorTests : TestKit
{
    private static readonly IPAddress Self = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Peer = IPAddress.Parse("192.0.2.2");

    // Lease renewals go to the role flipper; these tests follow the state changes.
    public VrrpActorTests() => IgnoreMessages<VrrpLeaseRenewed>();

    private (IActorRef Vrrp, FakeTransport Transport, FakeVirtualAddresses Vips) Start(byte priority = 200, bool preempt = true,
        FakeVirtualAddresses? failingVips = null, FakeTransport? transport = null)
    {
        transport ??= new FakeTransport(Self);
        var vips = failingVips ?? new FakeVirtualAddresses();
        var vrrp = Sys.ActorOf(VrrpActor.Props(ActorTestSettings.Vrrp(priority, preempt: preempt), () => transport, () => vips, TestActor, new StopwatchClock()));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Backup);
        return (vrrp, transport, vips);
    }

    private VrrpStatus Status(IActorRef vrrp)
    {
        var probe = CreateTestProbe();
        vrrp.Tell(GetVrrpStatus.Instance, probe);
        return probe.ExpectMsg<VrrpStatus>();
    }

    private static byte[] Advert(byte priority, IPAddress source, byte vrid = 51) =>
        Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, vrid, priority, 2, [IPAddress.Parse("192.0.2.100")]), source, VrrpCodec.MulticastGroup),
            source, VrrpCodec.MulticastGroup);

    [Fact]
    public void Eligible_backup_with_no_master_becomes_master_sends_adverts_and_acquires_the_VIP()
    {
        var (vrrp, transport, vips) = Start();
        vrrp.Tell(new HealthChanged(200, true, "redis check OK"));

        var changed = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3));
        Assert.Equal(VrrpState.Master, changed.State);
        Assert.Contains("no master heard", changed.Cause);
        AwaitCondition(() => transport.Sent.Count >= 3, TimeSpan.FromSeconds(3));
        Assert.All(transport.Sent, a => Assert.Equal((byte)200, a.Priority));
        Assert.True(vips.Held);
        Assert.Equal(["release", "acquire"], vips.Operations.Take(2));
    }

    [Fact]
    public void Not_eligible_node_never_becomes_master()
    {
        var (vrrp, transport, vips) = Start();
        ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // 7 x Master_Down_Interval at 20 ms adverts
        Assert.Empty(transport.Sent);
        Assert.False(vips.Held);
        var status = Status(vrrp);
        Assert.Equal(VrrpState.Backup, status.State);
        Assert.False(status.Eligible);
    }

    [Fact]
    public void A_node_held_back_says_why_in_its_status_until_it_is_eligible_again()
    {
        var (vrrp, _, _) = Start();
        const string why = "not eligible: its Redis has not completed a sync with 192.0.2.2:6379 since it started (master_link_down_since_seconds:-1)";
        vrrp.Tell(new HealthChanged(200, false, why));
        var held = Status(vrrp);
        Assert.False(held.Eligible);
        Assert.Equal(why, held.IneligibleCause);
        vrrp.Tell(new HealthChanged(200, true, "redis check OK"));
        Assert.Null(Status(vrrp).IneligibleCause);
    }

    [Fact]
    public void Backup_hearing_a_higher_priority_master_follows_it_and_stays_backup()
    {
        var (vrrp, transport, _) = Start(priority: 100);
        vrrp.Tell(new HealthChanged(100, true, "ok"));
        // Keep the master alive for a while: adverts every 20 ms.
        for (var i = 0; i < 15; i++)
        {
            transport.Inject(Advert(200, Peer));
            if (i == 0) Assert.Equal(Peer, ExpectMsg<VrrpMasterChanged>().Master);
            Thread.Sleep(20);
        }
        ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Empty(transport.Sent);
        Assert.Equal(VrrpState.Backup, Status(vrrp).State);
        // Then it goes silent: the backup takes over and names the silent master.
        var changed = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(2));
        Assert.Equal(VrrpState.Master, changed.State);
        Assert.Contains("from 192.0.2.2", changed.Cause);
        Assert.Equal(Peer, changed.PreviousMaster);
    }

    [Fact]
    public void Malformed_and_foreign_packets_are_counted_and_change_nothing()
    {
        var (vrrp, transport, vips) = Start(priority: 100);
        vrrp.Tell(new HealthChanged(100, true, "ok"));
        transport.Inject(Advert(200, Peer));
        ExpectMsg<VrrpMasterChanged>();
        var bad = Advert(254, Peer);
        bad[^1] ^= 0x01; // checksum no longer verifies
        transport.Inject(bad);
        transport.Inject(Advert(254, Peer, vrid: 52));
        transport.Inject(Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 254, 2, [IPAddress.Parse("192.0.2.100")]), Peer, VrrpCodec.MulticastGroup), Peer, VrrpCodec.MulticastGroup, ttl: 64));
        transport.Inject([1, 2, 3]);
        transport.Inject(Advert(200, Self)); // our own advert looped back
        AwaitAssert(() =>
        {
            var status = Status(vrrp);
            Assert.Equal(1, status.Drops.GetValueOrDefault(DropReason.Checksum));
            Assert.Equal(1, status.Drops.GetValueOrDefault(DropReason.VirtualRouterId));
            Assert.Equal(1, status.Drops.GetValueOrDefault(DropReason.Ttl));
            Assert.Equal(1, status.Drops.GetValueOrDefault(DropReason.Length));
            Assert.Equal(1, status.Drops.GetValueOrDefault(DropReason.OwnAdvert));
            Assert.Equal(Peer, status.Master);
        }, TimeSpan.FromSeconds(2));
        Assert.False(vips.Held);
    }

    [Fact]
    public void Adverts_for_another_address_list_are_dropped_and_counted_not_followed()
    {
        var (vrrp, transport, _) = Start(priority: 100);
        vrrp.Tell(new HealthChanged(100, true, "ok"));
        var foreign = Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 250, 2, [IPAddress.Parse("192.0.2.77")]), Peer, VrrpCodec.MulticastGroup),
            Peer, VrrpCodec.MulticastGroup);
        for (var i = 0; i < 3; i++) transport.Inject(foreign);
        AwaitAssert(() => Assert.Equal(3, Status(vrrp).Drops.GetValueOrDefault(DropReason.AddressList)));
        Assert.Null(Status(vrrp).Master);
    }

    [Fact]
    public void A_link_going_down_puts_a_master_in_FAULT_and_its_return_makes_it_listen_again()
    {
        var (vrrp, transport, vips) = Start();
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));
        transport.Link = false;
        var fault = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)); // checked every 500 ms
        Assert.Equal(VrrpState.Fault, fault.State);
        Assert.Contains("operstate down", fault.Cause);
        Assert.False(vips.Held);
        var sent = transport.Sent.Count;
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(sent, transport.Sent.Count); // no adverts in FAULT
        transport.Link = true;
        Assert.Equal(VrrpState.Backup, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        Assert.Equal(VrrpState.Master, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        Assert.True(vips.Held);
    }

    [Fact]
    public void Stopping_a_master_sends_priority_zero_and_releases_the_VIP()
    {
        var (vrrp, transport, vips) = Start();
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));
        Watch(vrrp);
        Sys.Stop(vrrp);
        Assert.Equal("shutdown", ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Initialize).Cause);
        ExpectTerminated(vrrp);
        Assert.Equal(0, transport.Sent.Last().Priority);
        Assert.Equal("release", vips.Operations.Last());
        Assert.True(transport.Disposed);
    }

    [Fact]
    public void Master_yields_when_its_Redis_becomes_unhealthy_even_with_preempt_off()
    {
        var (vrrp, transport, vips) = Start(preempt: false);
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));
        vrrp.Tell(new HealthChanged(180, false, "redis check failed 2 times: connection refused"));
        var changed = ExpectMsg<VrrpStatusChanged>();
        Assert.Equal(VrrpState.Backup, changed.State);
        Assert.StartsWith("yield:", changed.Cause);
        AwaitCondition(() => transport.Sent.Last().Priority == 0);
        Assert.False(vips.Held);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // stays backup while ineligible
    }

    [Fact]
    public void A_master_that_cannot_add_its_VIP_yields_with_priority_zero_and_is_held_back()
    {
        const string error = "RTM_NEWADDR 192.0.2.100/24: operation not permitted (needs CAP_NET_ADMIN)";
        var (vrrp, transport, vips) = Start(failingVips: new FakeVirtualAddresses { FailAcquire = error });
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));

        var yielded = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(2));
        Assert.Equal(VrrpState.Backup, yielded.State);
        Assert.Equal($"VIP acquire failed: {error}", yielded.Cause);
        AwaitCondition(() => transport.Sent.Last().Priority == 0);
        Assert.Equal("release", vips.Operations.Last());
        // Held back: Master_Down_Interval is 0.6 s here, the hold much longer, so a peer gets the VIP.
        ExpectNoMsg(TimeSpan.FromMilliseconds(1500));
        var status = Status(vrrp);
        Assert.Equal(VrrpState.Backup, status.State);
        Assert.Equal(1, status.VipFailures);
    }

    [Fact]
    public void A_master_whose_VIP_renewal_fails_yields()
    {
        var vips = new FakeVirtualAddresses();
        var (vrrp, transport, _) = Start(failingVips: vips);
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));
        vips.FailRenew = "RTM_NEWADDR 192.0.2.100/24: no such interface";

        // Renewals every quarter of the 2 s lease.
        var yielded = ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(2));
        Assert.Equal(VrrpState.Backup, yielded.State);
        Assert.StartsWith("VIP renew failed: RTM_NEWADDR", yielded.Cause);
        AwaitCondition(() => transport.Sent.Last().Priority == 0);
        Assert.False(vips.Held);
    }

    [Fact]
    public void A_re_created_interface_re_opens_the_socket_and_the_master_listens_as_BACKUP_first()
    {
        var (vrrp, transport, vips) = Start();
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));

        transport.Report(InterfaceState.Absent("eth0"));
        var fault = ExpectMsg<VrrpStatusChanged>();
        Assert.Equal(VrrpState.Fault, fault.State);
        Assert.Equal("eth0 does not exist (yet?)", fault.Cause);
        Assert.False(vips.Held);
        AwaitCondition(() => transport.Unbinds == 1);

        // Back with a new index (the network manager re-created it): a new socket on it.
        transport.Report(new InterfaceState("eth0", 7, true, Self, "up"));
        var backup = ExpectMsg<VrrpStatusChanged>();
        Assert.Equal(VrrpState.Backup, backup.State);
        Assert.Equal("eth0 up with 192.0.2.1", backup.Cause);
        Assert.Equal(7, Assert.Single(transport.Binds).Index);
        Assert.Equal(VrrpState.Master, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        Assert.True(vips.Held);
    }

    [Fact]
    public void A_changed_primary_address_re_opens_the_socket_and_adverts_come_from_the_new_one()
    {
        var transport = new FakeTransport(Self);
        var (vrrp, _, _) = Start(transport: transport);
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectMsg<VrrpStatusChanged>(m => m.State == VrrpState.Master, TimeSpan.FromSeconds(3));

        var moved = IPAddress.Parse("192.0.2.11");
        transport.Report(new InterfaceState("eth0", 1, true, moved, "up"));
        Assert.Equal(VrrpState.Fault, ExpectMsg<VrrpStatusChanged>().State);
        Assert.Equal(VrrpState.Backup, ExpectMsg<VrrpStatusChanged>().State);
        Assert.Equal(moved, Assert.Single(transport.Binds).Primary);
        Assert.Equal(VrrpState.Master, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        // Our own adverts from the new source are recognised as ours.
        transport.Inject(Advert(200, moved));
        AwaitAssert(() => Assert.Equal(1, Status(vrrp).Drops.GetValueOrDefault(DropReason.OwnAdvert)));
    }

    [Fact]
    public void A_node_started_on_an_interface_without_an_address_waits_in_FAULT_and_runs_once_it_has_one()
    {
        var transport = new FakeTransport(Self, initial: new InterfaceState("eth0", 3, true, null, "up"));
        var vips = new FakeVirtualAddresses();
        var vrrp = Sys.ActorOf(VrrpActor.Props(ActorTestSettings.Vrrp(), () => transport, () => vips, TestActor, new StopwatchClock()));
        Assert.Equal(VrrpState.Backup, ExpectMsg<VrrpStatusChanged>().State);
        var fault = ExpectMsg<VrrpStatusChanged>();
        Assert.Equal(VrrpState.Fault, fault.State);
        Assert.Equal("eth0 has no IPv4 address yet", fault.Cause);
        vrrp.Tell(new HealthChanged(200, true, "ok"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // eligible, but no address: never MASTER
        Assert.Empty(transport.Sent);

        transport.Report(new InterfaceState("eth0", 3, true, Self, "up"));
        var backup = ExpectMsg<VrrpStatusChanged>();
        Assert.Equal((VrrpState.Backup, "eth0 up with 192.0.2.1"), (backup.State, backup.Cause));
        Assert.Equal(VrrpState.Master, ExpectMsg<VrrpStatusChanged>(TimeSpan.FromSeconds(3)).State);
        Assert.True(vips.Held);
    }
}
