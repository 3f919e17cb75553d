using RedisHaActors.Primitives;
using System.Buffers.Binary;
using System.Net;
using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

public sealed class VrrpCodecTests
{
    public static TheoryData<string> V3Names => new(V3.Select(v => v.Name));

    public static TheoryData<string> V2Names => new(V2.Select(v => v.Name));

    [Fact]
    public void Vector_file_holds_the_captured_v2_and_v3_adverts()
    {
        // Guards the data-driven tests below against an empty or misparsed file.
        Assert.Equal(8, All.Count);
        Assert.Equal(6, V3.Count());
        Assert.Equal(2, V2.Count());
        foreach (var v in All)
        {
            Assert.Equal(0x45, v.Datagram[0]);
            Assert.Equal(v.Datagram.Length, BinaryPrimitives.ReadUInt16BigEndian(v.Datagram.AsSpan(2)));
            Assert.Equal(v.Checksum, BinaryPrimitives.ReadUInt16BigEndian(v.Vrrp.AsSpan(6)));
        }
    }

    [Theory]
    [MemberData(nameof(V3Names))]
    public void Keepalived_v3_advert_decodes_to_exactly_the_expected_fields(string name)
    {
        var v = Named(name);
        var result = VrrpCodec.Decode(v.Datagram, v.Vrid);

        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Null(result.Drop);
        var p = result.Packet!;
        Assert.Equal(v.Source, p.Source);
        Assert.Equal(v.Destination, p.Destination);
        Assert.Equal(v.Ttl, p.Ttl);
        var a = p.Advertisement;
        Assert.Equal(3, a.Version);
        Assert.Equal(v.Vrid, a.VirtualRouterId);
        Assert.Equal(v.Priority, a.Priority);
        Assert.Equal(v.IntervalCs, a.MaxAdvertIntervalCentiseconds);
        Assert.Equal(TimeSpan.FromMilliseconds(v.IntervalCs * 10), a.MaxAdvertInterval);
        Assert.Equal(v.Count, a.Addresses.Count);
        Assert.Equal(v.Addresses, a.Addresses);
    }

    [Theory]
    [MemberData(nameof(V3Names))]
    public void Checksum_matches_keepalived_for_each_v3_vector(string name)
    {
        var v = Named(name);
        var vrrp = v.Vrrp;
        // Over the whole message (checksum included) a correct packet sums to 0 ...
        Assert.Equal(0, VrrpCodec.Checksum(vrrp, v.Source, v.Destination));
        // ... and with the field zeroed the sum is exactly what keepalived put there.
        vrrp[6] = 0;
        vrrp[7] = 0;
        Assert.Equal(v.Checksum, VrrpCodec.Checksum(vrrp, v.Source, v.Destination));
    }

    [Theory]
    [MemberData(nameof(V2Names))]
    public void Keepalived_v2_advert_is_dropped_for_version(string name)
    {
        var v = Named(name);
        var result = VrrpCodec.Decode(v.Datagram, v.Vrid);
        Assert.False(result.IsValid);
        Assert.Null(result.Packet);
        Assert.Equal(DropReason.Version, result.Drop);
    }

    [Theory]
    [MemberData(nameof(V3Names))]
    public void Encoding_the_same_fields_reproduces_keepalived_bytes_exactly(string name)
    {
        var v = Named(name);
        var advert = new VrrpAdvertisement(3, v.Vrid, v.Priority, v.IntervalCs, v.Addresses);
        var encoded = VrrpCodec.EncodeV3(advert, v.Source, v.Destination);
        Assert.Equal(Convert.ToHexString(v.Vrrp), Convert.ToHexString(encoded));
    }

    [Fact]
    public void State_machine_advert_encodes_like_keepalived_v3_advert_1s()
    {
        // Our own advert as the machine builds it (priority 200, 1 s, one VIP) is byte-identical to keepalived's.
        var machine = new VrrpStateMachine(Settings(priority: 200, intervalCs: 100), Node1);
        var v = Named("v3-advert-1s");
        Assert.Equal(v.Vrrp, VrrpCodec.EncodeV3(machine.Advertisement(200), Node1, VrrpCodec.MulticastGroup));
        Assert.Equal(Named("v3-priority0-shutdown").Vrrp, VrrpCodec.EncodeV3(machine.Advertisement(0), Node1, VrrpCodec.MulticastGroup));
    }

    public static TheoryData<byte, byte, ushort, int, string> RoundTripCases => new()
    {
        { 51, 200, 100, 1, "224.0.0.18" },
        { 1, 1, 1, 1, "224.0.0.18" },
        { 255, 254, 4095, 2, "224.0.0.18" },
        { 51, 0, 20, 1, "192.0.2.2" },
        { 51, 255, 100, 3, "192.0.2.2" },
        { 7, 100, 4095, 255, "224.0.0.18" },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Encode_then_decode_in_a_hand_built_ipv4_header_round_trips(byte vrid, byte priority, ushort cs, int count, string dst)
    {
        var destination = IPAddress.Parse(dst);
        var addresses = Enumerable.Range(0, count).Select(i => new IPAddress(new byte[] { 192, 0, 2, (byte)(100 + i) })).ToArray();
        var advert = new VrrpAdvertisement(3, vrid, priority, cs, addresses);
        var vrrp = VrrpCodec.EncodeV3(advert, Node1, destination);
        Assert.Equal(8 + 4 * count, vrrp.Length);

        var result = VrrpCodec.Decode(Ipv4(vrrp, Node1, destination), vrid);

        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Equal(new ReceivedAdvertisement(Node1, destination, 255, advert), result.Packet);
        Assert.Equal(advert, result.Packet!.Advertisement);
        Assert.Equal(addresses, result.Packet.Advertisement.Addresses);
    }

    [Fact]
    public void Ip_options_are_skipped_using_the_header_length()
    {
        var vrrp = Named("v3-advert-1s").Vrrp;
        var result = VrrpCodec.Decode(Ipv4(vrrp, Node1, VrrpCodec.MulticastGroup, optionsLength: 4), 51);
        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Equal(200, result.Packet!.Advertisement.Priority);
    }

    [Fact]
    public void Bytes_after_the_ip_total_length_are_ignored()
    {
        // Ethernet pads short frames; the padding is not part of the VRRP message.
        var v = Named("v3-advert-1s");
        var padded = v.Datagram.Concat(new byte[14]).ToArray();
        var result = VrrpCodec.Decode(padded, 51);
        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Equal(v.Addresses, result.Packet!.Advertisement.Addresses);
    }

    [Fact]
    public void Reserved_bits_of_the_interval_field_are_ignored_on_receipt()
    {
        // RFC 5798 §5.2.6: rsvd MUST be zero on transmit and is ignored on receipt.
        var vrrp = RawVrrp(0x31, 51, 200, 1, 0xF064, [Vip], Node1, VrrpCodec.MulticastGroup);
        var result = VrrpCodec.Decode(Ipv4(vrrp, Node1, VrrpCodec.MulticastGroup), 51);
        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Equal(100, result.Packet!.Advertisement.MaxAdvertIntervalCentiseconds);
    }

    [Fact]
    public void Ttl_other_than_255_is_accepted_when_not_required()
    {
        var v = Named("v3-advert-unicast");
        var datagram = (byte[])v.Datagram.Clone();
        datagram[8] = 64;
        Assert.Equal(DropReason.Ttl, VrrpCodec.Decode(datagram, 51).Drop);
        var result = VrrpCodec.Decode(datagram, 51, requireTtl255: false);
        Assert.True(result.IsValid, $"dropped: {result.Drop}");
        Assert.Equal(64, result.Packet!.Ttl);
    }

    // ---- every drop reason ----

    private static byte[] Valid => (byte[])Named("v3-advert-1s").Datagram.Clone();

    private static readonly IPAddress Mcast = IPAddress.Parse("224.0.0.18");

    private static readonly Dictionary<string, (Func<byte[]> Build, DropReason Reason)> DropCases = new()
    {
        ["empty"] = (() => [], DropReason.Length),
        ["19 bytes"] = (() => Valid[..19], DropReason.Length),
        ["ip header only, no vrrp"] = (() => Ipv4([], Node1, Mcast), DropReason.Length),
        ["ip ok, vrrp 7 bytes"] = (() => Ipv4(Named("v3-advert-1s").Vrrp[..7], Node1, Mcast), DropReason.Length),
        ["truncated capture (total length > buffer)"] = (() => Valid[..28], DropReason.Length),
        ["ip total length larger than the buffer"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, totalLengthOverride: 33), DropReason.Length),
        ["ip total length smaller than the header"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, totalLengthOverride: 19), DropReason.Length),
        ["ihl 4 (16-byte header)"] = (() => { var d = Valid; d[0] = 0x44; return d; }, DropReason.Length),
        ["ihl 15 longer than the packet"] = (() => { var d = Valid; d[0] = 0x4F; return d; }, DropReason.Length),
        ["ip version 6"] = (() => { var d = Valid; d[0] = 0x65; return d; }, DropReason.NotVrrp),
        ["ip version 0"] = (() => { var d = Valid; d[0] = 0x05; return d; }, DropReason.NotVrrp),
        ["protocol 17 (udp)"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, protocol: 17), DropReason.NotVrrp),
        ["protocol 111"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, protocol: 111), DropReason.NotVrrp),
        ["ttl 254"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, ttl: 254), DropReason.Ttl),
        ["ttl 1"] = (() => Ipv4(Named("v3-advert-1s").Vrrp, Node1, Mcast, ttl: 1), DropReason.Ttl),
        ["vrrp version 2 (checksum valid)"] = (() => Ipv4(RawVrrp(0x21, 51, 200, 1, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.Version),
        ["vrrp version 4 (checksum valid)"] = (() => Ipv4(RawVrrp(0x41, 51, 200, 1, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.Version),
        ["vrrp type 2 (checksum valid)"] = (() => Ipv4(RawVrrp(0x32, 51, 200, 1, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.Type),
        ["vrrp type 0 (checksum valid)"] = (() => Ipv4(RawVrrp(0x30, 51, 200, 1, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.Type),
        ["wrong vrid 52 (checksum valid)"] = (() => Ipv4(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 52, 200, 100, [Vip]), Node1, Mcast), Node1, Mcast), DropReason.VirtualRouterId),
        ["address count 0 (checksum valid)"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 0, 100, [], Node1, Mcast), Node1, Mcast), DropReason.AddressCount),
        ["address count 0 with an address"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 0, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.AddressCount),
        ["address count 2, one address"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 2, 100, [Vip], Node1, Mcast), Node1, Mcast), DropReason.AddressCount),
        ["address count 1, two addresses"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 1, 100, [Vip, Node3], Node1, Mcast), Node1, Mcast), DropReason.AddressCount),
        ["address count 1, trailing 2 bytes"] = (() => Ipv4(FixChecksum([.. Named("v3-advert-1s").Vrrp, 0, 0], Node1, Mcast), Node1, Mcast), DropReason.AddressCount),
        ["checksum field zeroed"] = (() => { var d = Valid; d[26] = 0; d[27] = 0; return d; }, DropReason.Checksum),
        ["checksum computed for another source"] = (() => Ipv4(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 200, 100, [Vip]), Node3, Mcast), Node1, Mcast), DropReason.Checksum),
        ["checksum computed for another destination"] = (() => Ipv4(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 200, 100, [Vip]), Node1, Node2), Node1, Mcast), DropReason.Checksum),
        ["ip source rewritten"] = (() => { var d = Valid; d[15] = 9; return d; }, DropReason.Checksum),
        ["interval 0 (checksum valid)"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 1, 0, [Vip], Node1, Mcast), Node1, Mcast), DropReason.AdvertInterval),
        ["interval 0 with reserved bits set (checksum valid)"] = (() => Ipv4(RawVrrp(0x31, 51, 200, 1, 0xF000, [Vip], Node1, Mcast), Node1, Mcast), DropReason.AdvertInterval),
    };

    public static TheoryData<string> DropCaseNames => new(DropCases.Keys);

    [Theory]
    [MemberData(nameof(DropCaseNames))]
    public void Malformed_or_foreign_packet_is_dropped_with_its_reason(string name)
    {
        var (build, reason) = DropCases[name];
        var result = VrrpCodec.Decode(build(), 51);
        Assert.False(result.IsValid);
        Assert.Null(result.Packet);
        Assert.Equal(reason, result.Drop);
    }

    [Fact]
    public void Wrong_vrid_drop_is_about_the_vrid_only()
    {
        // The same packet is accepted by the virtual router it belongs to.
        var vrrp = VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 52, 200, 100, [Vip]), Node1, Mcast);
        Assert.Equal(DropReason.VirtualRouterId, VrrpCodec.Decode(Ipv4(vrrp, Node1, Mcast), 51).Drop);
        Assert.True(VrrpCodec.Decode(Ipv4(vrrp, Node1, Mcast), 52).IsValid);
    }

    [Fact]
    public void Flipping_any_single_bit_of_the_vrrp_part_is_never_accepted()
    {
        var checkedBits = 0;
        foreach (var v in V3)
        {
            for (var bit = 0; bit < v.Vrrp.Length * 8; bit++)
            {
                var datagram = (byte[])v.Datagram.Clone();
                var index = v.IpHeaderLength + bit / 8;
                datagram[index] ^= (byte)(0x80 >> (bit % 8));
                var result = VrrpCodec.Decode(datagram, v.Vrid);
                Assert.False(result.IsValid, $"{v.Name}: bit {bit} flipped but accepted");
                var expected = (bit / 8) switch
                {
                    0 when bit % 8 < 4 => DropReason.Version,
                    0 => DropReason.Type,
                    3 => DropReason.AddressCount,
                    _ => DropReason.Checksum, // VRID, priority, interval, checksum and addresses are covered by the checksum
                };
                Assert.True(expected == result.Drop, $"{v.Name}: bit {bit}: expected {expected}, got {result.Drop}");
                checkedBits++;
            }
        }
        Assert.Equal(V3.Sum(v => v.Vrrp.Length * 8), checkedBits);
        Assert.True(checkedBits >= 6 * 96);
    }

    // ---- encoder argument checks ----

    public static TheoryData<string> BadAdvertNames => new(BadAdverts.Keys);

    private static readonly Dictionary<string, Func<VrrpAdvertisement>> BadAdverts = new()
    {
        ["no address"] = () => new VrrpAdvertisement(3, 51, 200, 100, []),
        ["256 addresses"] = () => new VrrpAdvertisement(3, 51, 200, 100, Enumerable.Repeat(Vip, 256).ToArray()),
        ["interval 0"] = () => new VrrpAdvertisement(3, 51, 200, 0, [Vip]),
        ["interval 4096"] = () => new VrrpAdvertisement(3, 51, 200, 4096, [Vip]),
        ["ipv6 address"] = () => new VrrpAdvertisement(3, 51, 200, 100, [IPAddress.Parse("2001:db8::1")]),
    };

    [Theory]
    [MemberData(nameof(BadAdvertNames))]
    public void Encoder_rejects_adverts_it_cannot_express(string name)
    {
        Assert.Throws<ArgumentException>(() => VrrpCodec.EncodeV3(BadAdverts[name](), Node1, Mcast));
    }

    [Fact]
    public void Encoder_accepts_the_extremes()
    {
        Assert.Equal(8 + 4 * 255, VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 200, 4095, Enumerable.Repeat(Vip, 255).ToArray()), Node1, Mcast).Length);
        var one = VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 200, 1, [Vip]), Node1, Mcast);
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16BigEndian(one.AsSpan(4)));
    }

    [Fact]
    public void Address_comparison_is_numeric_not_textual()
    {
        Assert.True(Ipv4Order.Compare(IPAddress.Parse("192.0.2.10"), IPAddress.Parse("192.0.2.9")) > 0);
        Assert.True(Ipv4Order.Compare(IPAddress.Parse("192.0.2.9"), IPAddress.Parse("192.0.2.10")) < 0);
        Assert.True(Ipv4Order.Compare(IPAddress.Parse("192.0.2.200"), IPAddress.Parse("192.0.2.199")) > 0);
        Assert.Equal(0, Ipv4Order.Compare(Node1, IPAddress.Parse("192.0.2.1")));
    }
}
