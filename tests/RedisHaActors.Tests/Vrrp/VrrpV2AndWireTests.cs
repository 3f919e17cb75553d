using System.Net;
using System.Text;
using RedisHaActors.Configuration;
using RedisHaActors.Vrrp;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>VRRPv2 with PASS authentication (RFC 3768), unicast v3, the address-list check, and preempt-delay.</summary>
public sealed class VrrpV2AndWireTests
{
    private static readonly VrrpAuthentication Secret = new(VrrpAuthenticationType.Pass, Encoding.ASCII.GetBytes("secret12"));
    private static readonly VrrpWireOptions V2Options = new(2, 51, Secret, 100);

    private static VrrpSettings V2Settings(byte priority = 200, int seconds = 1, bool preempt = true) =>
        new("eth0", 51, priority, TimeSpan.FromSeconds(seconds), 2, preempt, [new VirtualAddress(Vip, 24)], TimeSpan.FromSeconds(2), 5,
            Secret);

    [Theory]
    [InlineData("v2-advert-auth-pass-1s", 200)]
    [InlineData("v2-priority0-shutdown", 0)]
    public void Keepalived_v2_PASS_adverts_decode_and_our_encoding_is_byte_identical(string name, byte priority)
    {
        var vector = Named(name);
        var result = VrrpCodec.Decode(vector.Datagram, V2Options);
        Assert.True(result.IsValid, result.Drop?.ToString());
        var advert = result.Packet!.Advertisement;
        Assert.Equal(new VrrpAdvertisement(2, 51, priority, 100, [Vip]), advert);
        Assert.Equal(Node1, result.Packet.Source);
        Assert.Equal(vector.Vrrp, VrrpCodec.EncodeV2(advert, Secret));
        Assert.Equal(vector.Vrrp, VrrpCodec.Encode(new VrrpStateMachine(V2Settings(), Node1).Advertisement(priority), Node1, VrrpCodec.MulticastGroup, Secret));
    }

    public static TheoryData<string, Func<byte[], byte[]>, VrrpWireOptions, DropReason> V2Drops => new()
    {
        { "wrong password", d => d, V2Options with { Authentication = new VrrpAuthentication(VrrpAuthenticationType.Pass, Encoding.ASCII.GetBytes("secret13")) }, DropReason.Authentication },
        { "we expect no auth", d => d, V2Options with { Authentication = VrrpAuthentication.None }, DropReason.Authentication },
        { "other interval (RFC 3768 §7.1)", d => d, V2Options with { AdvertIntervalCentiseconds = 200 }, DropReason.AdvertInterval },
        { "other VRID", d => d, V2Options with { VirtualRouterId = 52 }, DropReason.VirtualRouterId },
        { "bad checksum", d => Flip(d, d.Length - 1), V2Options, DropReason.Checksum },
        { "TTL 64", d => WithTtl(d, 64), V2Options, DropReason.Ttl },
        { "truncated auth data", d => Truncate(d, 4), V2Options, DropReason.AddressCount },
    };

    [Theory]
    [MemberData(nameof(V2Drops))]
    public void Invalid_v2_adverts_are_dropped_with_their_reason(string name, Func<byte[], byte[]> mutate, VrrpWireOptions options, DropReason expected)
    {
        var result = VrrpCodec.Decode(mutate(Named("v2-advert-auth-pass-1s").Datagram.ToArray()), options);
        Assert.False(result.IsValid, name);
        Assert.Equal(expected, result.Drop);
    }

    [Fact]
    public void Versions_do_not_mix()
    {
        Assert.Equal(DropReason.Version, VrrpCodec.Decode(Named("v3-advert-1s").Datagram, V2Options).Drop);
        Assert.Equal(DropReason.Version, VrrpCodec.Decode(Named("v2-advert-auth-pass-1s").Datagram, new VrrpWireOptions(3, 51, VrrpAuthentication.None, 100)).Drop);
    }

    [Theory]
    [InlineData("v3-advert-unicast", 200)]
    [InlineData("v3-priority0-shutdown-unicast", 0)]
    public void Unicast_v3_checksums_use_the_peer_address_exactly_as_keepalived(string name, byte priority)
    {
        var vector = Named(name);
        Assert.True(VrrpCodec.Decode(vector.Datagram, new VrrpWireOptions(3, 51, VrrpAuthentication.None, 100)).IsValid);
        var ours = VrrpCodec.Encode(new VrrpAdvertisement(3, 51, priority, 100, [Vip]), Node1, Node2, VrrpAuthentication.None);
        Assert.Equal(vector.Vrrp, ours);
        // The same advert encoded for multicast would not verify at the unicast peer.
        Assert.NotEqual(vector.Vrrp, VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, priority, 100, [Vip]), Node1, VrrpCodec.MulticastGroup));
    }

    [Fact]
    public void The_address_list_must_match_ours_in_any_order()
    {
        var two = new[] { Vip, IPAddress.Parse("192.0.2.101") };
        Assert.True(VrrpCodec.AddressListMatches(new VrrpAdvertisement(3, 51, 1, 100, two), two.Reverse().ToArray()));
        Assert.False(VrrpCodec.AddressListMatches(new VrrpAdvertisement(3, 51, 1, 100, [Vip]), two));
        Assert.False(VrrpCodec.AddressListMatches(new VrrpAdvertisement(3, 51, 1, 100, [IPAddress.Parse("192.0.2.99")]), [Vip]));
    }

    // RFC 3768 §6.1: v2 Skew_Time is (256 - priority)/256 s whatever the interval; RFC 5798 scales it.
    [Theory]
    [InlineData(100, 100, 3609.375, 3609.375)]
    [InlineData(200, 100, 3218.75, 3218.75)]
    [InlineData(200, 200, 6218.75, 6437.5)]
    [InlineData(254, 300, 9007.8125, 9023.4375)]
    public void Master_Down_Interval_table_for_v2_and_v3(byte priority, ushort intervalCs, double v2Ms, double v3Ms)
    {
        Assert.Equal(v2Ms, VrrpStateMachine.MasterDownIntervalV2(priority, intervalCs).TotalMilliseconds, 3);
        Assert.Equal(v3Ms, VrrpStateMachine.MasterDownInterval(priority, intervalCs).TotalMilliseconds, 3);
    }

    [Fact]
    public void A_v2_backup_takes_over_after_the_v2_Master_Down_Interval_and_after_v2_Skew_Time_on_priority_zero()
    {
        var d = new VrrpDriver(V2Settings(priority: 100, seconds: 2), Node2).EligibleBackup(At(0));
        Assert.Equal(At(6000 + 609.375), d.State.MasterDownTimer);
        d.Apply(new AdvertisementReceived(new ReceivedAdvertisement(Node1, VrrpCodec.MulticastGroup, 255,
            new VrrpAdvertisement(2, 51, 0, 200, [Vip]))), At(1000));
        Assert.Equal(At(1000 + 609.375), d.State.MasterDownTimer);
    }

    [Fact]
    public void Preempt_delay_holds_off_preemption_after_startup()
    {
        var settings = Settings(priority: 200, intervalCs: 100) with { PreemptDelay = TimeSpan.FromSeconds(5) };
        var d = new VrrpDriver(settings, Node2).EligibleBackup(At(0));
        // A lower-priority master within the delay is followed (its adverts reset our timer)...
        d.Advert(At(1000), 100, Node1);
        Assert.Equal(Node1, d.State.MasterAddress);
        Assert.Equal(At(1000) + VrrpStateMachine.MasterDownInterval(200, 100), d.State.MasterDownTimer);
        d.Advert(At(4000), 100, Node1);
        var armed = d.State.MasterDownTimer;
        // ...and ignored once the delay has passed, so we take over when the timer runs out.
        d.Advert(At(5500), 100, Node1);
        Assert.Equal(armed, d.State.MasterDownTimer);
        d.Timer(armed!.Value);
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    private static byte[] Flip(byte[] d, int i) { d[i] ^= 0x01; return d; }

    private static byte[] WithTtl(byte[] d, byte ttl) => Ipv4(d[20..], Node1, VrrpCodec.MulticastGroup, ttl);

    private static byte[] Truncate(byte[] d, int bytes) => Ipv4(d[20..^bytes], Node1, VrrpCodec.MulticastGroup);
}
