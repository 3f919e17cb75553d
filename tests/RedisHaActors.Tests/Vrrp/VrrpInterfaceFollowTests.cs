using System.Buffers.Binary;
using System.Net;
using System.Text;
using RedisHaActors.Vrrp;
using RedisHaActors.Vrrp.Net;
using Xunit;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>rtnetlink notifications parsed from crafted bytes, and what the VRRP actor decides on an interface report.</summary>
public sealed class VrrpInterfaceFollowTests
{
    // ---- crafting rtnetlink messages (struct nlmsghdr + ifinfomsg/ifaddrmsg + rtattr, little-endian) ----

    private static byte[] Attr(ushort type, byte[] payload)
    {
        var a = new byte[RtNetlinkMessages.Align(4 + payload.Length)];
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        payload.CopyTo(a, 4);
        return a;
    }

    private static byte[] Message(ushort type, uint seq, byte[] body)
    {
        var m = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), seq);
        body.CopyTo(m, 16);
        return m;
    }

    private static byte[] Link(ushort type, int index, string name, byte operState, uint flags = 0x11043)
    {
        var ifinfo = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(ifinfo.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteInt32LittleEndian(ifinfo.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(ifinfo.AsSpan(8), flags);
        return Message(type, 0, [.. ifinfo, .. Attr(RtNetlinkMessages.IflaIfName, Encoding.ASCII.GetBytes(name + "\0")),
            .. Attr(4, BitConverter.GetBytes(1500)), // IFLA_MTU, skipped
            .. Attr(RtNetlinkMessages.IflaOperState, [operState])]);
    }

    private static byte[] Address(ushort type, int index, string address, byte prefix, byte family = 2)
    {
        var ifaddr = new byte[8];
        ifaddr[0] = family;
        ifaddr[1] = prefix;
        BinaryPrimitives.WriteUInt32LittleEndian(ifaddr.AsSpan(4), (uint)index);
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        return Message(type, 7, [.. ifaddr, .. Attr(RtNetlinkMessages.IfaAddress, bytes), .. Attr(RtNetlinkMessages.IfaLocal, bytes),
            .. Attr(3, Encoding.ASCII.GetBytes("eth0\0"))]); // IFA_LABEL, skipped
    }

    [Fact]
    public void A_datagram_of_link_and_address_notifications_parses_in_order()
    {
        byte[] datagram =
        [
            .. Link(RtNetlinkMessages.DelLink, 4, "eth0", 2),
            .. Link(RtNetlinkMessages.NewLink, 9, "eth0", 6),
            .. Address(RtNetlinkMessages.NewAddr, 9, "192.0.2.2", 24),
            .. Address(RtNetlinkMessages.DelAddr, 9, "192.0.2.100", 24),
        ];
        var messages = RtNetlinkMessages.Parse(datagram);
        Assert.Equal(
        [
            new LinkMessage(0, true, 4, "eth0", 2, 0x11043),
            new LinkMessage(0, false, 9, "eth0", 6, 0x11043),
            new AddressMessage(7, false, 9, IPAddress.Parse("192.0.2.2"), 24),
            new AddressMessage(7, true, 9, IPAddress.Parse("192.0.2.100"), 24),
        ], messages);
    }

    [Fact]
    public void IPv6_addresses_and_unknown_types_are_skipped_errors_and_done_are_kept()
    {
        var v6 = Address(RtNetlinkMessages.NewAddr, 9, "192.0.2.2", 64, family: 10);
        var route = Message(24, 0, new byte[12]); // RTM_NEWROUTE
        var error = Message(RtNetlinkMessages.Error, 5, BitConverter.GetBytes(-19));
        var done = Message(RtNetlinkMessages.Done, 6, new byte[4]);
        Assert.Equal([new ErrorMessage(5, -19), new DoneMessage(6)], RtNetlinkMessages.Parse([.. v6, .. route, .. error, .. done]));
    }

    [Fact]
    public void A_truncated_message_ends_the_parse_and_keeps_what_came_before()
    {
        var whole = Link(RtNetlinkMessages.NewLink, 3, "eth0", 6);
        var cut = Address(RtNetlinkMessages.NewAddr, 3, "192.0.2.2", 24)[..20];
        Assert.Single(RtNetlinkMessages.Parse([.. whole, .. cut]));
        // A length field longer than the datagram, and one shorter than a header.
        var lying = Link(RtNetlinkMessages.NewLink, 3, "eth0", 6);
        BinaryPrimitives.WriteUInt32LittleEndian(lying, 4000);
        Assert.Empty(RtNetlinkMessages.Parse(lying));
        BinaryPrimitives.WriteUInt32LittleEndian(lying, 8);
        Assert.Empty(RtNetlinkMessages.Parse(lying));
        Assert.Empty(RtNetlinkMessages.Parse([]));
    }

    // ---- InterfaceFollow.Decide ----

    private static readonly IPAddress A = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.22");

    private static InterfaceState Up(int index, IPAddress primary) => new("eth0", index, true, primary, "up");

    [Fact]
    public void The_state_the_socket_is_bound_to_changes_nothing()
    {
        Assert.Equal(InterfaceStep.None, InterfaceFollow.Decide(4, A, linkUp: true, Up(4, A)));
    }

    [Fact]
    public void A_deleted_interface_is_FAULT_and_its_socket_closed()
    {
        var step = InterfaceFollow.Decide(4, A, linkUp: true, InterfaceState.Absent("eth0"));
        Assert.Equal(new InterfaceStep("eth0 does not exist (yet?)", true, false, null), step);
    }

    [Fact]
    public void Carrier_or_address_lost_is_FAULT_with_the_socket_kept_and_its_return_leaves_FAULT()
    {
        Assert.Equal(new InterfaceStep("eth0 operstate down", false, false, null),
            InterfaceFollow.Decide(4, A, linkUp: true, new InterfaceState("eth0", 4, false, A, "down")));
        Assert.Equal(new InterfaceStep("eth0 has no IPv4 address yet", false, false, null),
            InterfaceFollow.Decide(4, A, linkUp: true, new InterfaceState("eth0", 4, true, null, "up")));
        Assert.Equal(new InterfaceStep(null, false, false, "eth0 up with 192.0.2.2"), InterfaceFollow.Decide(4, A, linkUp: false, Up(4, A)));
        // Still unusable while in FAULT: nothing new.
        Assert.Equal(InterfaceStep.None, InterfaceFollow.Decide(4, A, linkUp: false, new InterfaceState("eth0", 4, false, A, "down")));
    }

    [Fact]
    public void A_re_created_interface_is_bound_again_and_passes_through_FAULT()
    {
        // Seen as deleted first: FAULT already, so re-bind and leave it.
        Assert.Equal(new InterfaceStep(null, false, true, "eth0 was re-created (index 4 -> 9), listening again"),
            InterfaceFollow.Decide(4, A, linkUp: false, Up(9, A)));
        // The deletion was never seen (re-created between two reads): FAULT first, so a master lets go.
        Assert.Equal(new InterfaceStep("eth0 was re-created (index 4 -> 9)", false, true, "eth0 was re-created (index 4 -> 9), listening again"),
            InterfaceFollow.Decide(4, A, linkUp: true, Up(9, A)));
    }

    [Fact]
    public void A_changed_primary_address_is_a_new_advert_source()
    {
        Assert.Equal(new InterfaceStep("eth0 primary address changed (192.0.2.2 -> 192.0.2.22)", false, true,
                "eth0 primary address changed (192.0.2.2 -> 192.0.2.22), listening again"),
            InterfaceFollow.Decide(4, A, linkUp: true, Up(4, B)));
    }

    [Fact]
    public void An_unbound_socket_is_bound_when_the_interface_becomes_usable()
    {
        // Started before the address came (boot before DHCP): FAULT, then bound and BACKUP.
        Assert.Equal(new InterfaceStep("eth0 has no IPv4 address yet", false, false, null),
            InterfaceFollow.Decide(null, null, linkUp: true, new InterfaceState("eth0", 4, true, null, "up")));
        Assert.Equal(new InterfaceStep(null, false, true, "eth0 up with 192.0.2.2"), InterfaceFollow.Decide(null, null, linkUp: false, Up(4, A)));
    }
}
