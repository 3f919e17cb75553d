using RedisHaActors.Configuration;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>Configuration traps for VRRPv2, authentication and unicast (issue 5).</summary>
public sealed class VrrpSettingsV2Tests
{
    private const string Vip = "virtual-ipaddress = [\"192.0.2.100/24\"]";

    private static HaSettings Parse(string vrrp) => HaSettings.Parse($"redis-ha.vrrp {{ {Vip}\n{vrrp} }}");

    [Theory]
    [InlineData("version = 2, advert-interval = 200ms", "redis-ha.vrrp.advert-interval", "whole seconds")]
    [InlineData("version = 2, advert-interval = 1500ms", "redis-ha.vrrp.advert-interval", "whole seconds")]
    [InlineData("version = 3, authentication { type = pass, password = x }", "redis-ha.vrrp.authentication.type", "VRRPv3 has no authentication")]
    [InlineData("version = 2, authentication { type = none, password = x }", "redis-ha.vrrp.authentication.password", "only with type = pass")]
    [InlineData("version = 2, authentication { type = pass, password = \"\" }", "redis-ha.vrrp.authentication.password", "1..8 bytes")]
    [InlineData("version = 2, authentication { type = md5 }", "redis-ha.vrrp.authentication.type", "none|pass")]
    [InlineData("unicast-peers = [\"192.0.2.300\"]", "redis-ha.vrrp.unicast-peers", "IPv4 addresses")]
    [InlineData("unicast-peers = [\"192.0.2.2/24\"]", "redis-ha.vrrp.unicast-peers", "IPv4 addresses")]
    [InlineData("preempt-delay = 2000s", "redis-ha.vrrp.preempt-delay", "0s..1000s")]
    [InlineData("garp-master-refresh = 500ms", "redis-ha.vrrp.garp-master-refresh", "1s..1h")]
    public void Traps_are_refused_naming_the_key(string vrrp, string key, string allowed)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(vrrp));
        Assert.Equal(key, e.Key);
        Assert.Contains(allowed, e.Message);
    }

    [Fact]
    public void A_PASS_password_over_8_bytes_is_truncated_like_keepalived_with_a_warning()
    {
        var settings = Parse("version = 2, advert-interval = 1s, authentication { type = pass, password = \"secret1234\" }");
        Assert.Equal("secret12"u8.ToArray(), settings.Vrrp.Auth.Password);
        Assert.Equal("secret12"u8.ToArray(), settings.Vrrp.Auth.AuthenticationData());
        var warning = Assert.Single(settings.ConfigWarnings);
        Assert.Contains("redis-ha.vrrp.authentication.password", warning);
        Assert.DoesNotContain("secret", settings.Vrrp.Auth.ToString());
    }

    [Fact]
    public void V2_unicast_and_GARP_keys_load()
    {
        var settings = Parse("""
            version = 2
            advert-interval = 3s
            authentication { type = pass, password = abc }
            unicast-peers = ["192.0.2.2", "192.0.2.3"]
            preempt-delay = 30s
            skip-check-adv-addr = on
            garp-master-delay = 0s
            garp-master-refresh = 60s
            """);
        Assert.Equal(2, settings.Vrrp.Version);
        Assert.Equal(300, settings.Vrrp.AdvertIntervalCentiseconds);
        Assert.Equal(VrrpAuthenticationType.Pass, settings.Vrrp.Auth.Type);
        Assert.Equal(new byte[] { 0x61, 0x62, 0x63, 0, 0, 0, 0, 0 }, settings.Vrrp.Auth.AuthenticationData());
        Assert.Equal(["192.0.2.2", "192.0.2.3"], settings.Vrrp.Peers.Select(p => p.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Vrrp.PreemptDelay);
        Assert.True(settings.Vrrp.SkipCheckAdvertAddresses);
        Assert.Equal(TimeSpan.Zero, settings.Vrrp.GarpMasterDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.Vrrp.GarpMasterRefresh);
        Assert.Empty(settings.ConfigWarnings);
    }

    [Fact]
    public void Defaults_are_v3_multicast_without_authentication_with_keepalived_GARP_timing()
    {
        var vrrp = Parse("").Vrrp;
        Assert.Equal(3, vrrp.Version);
        Assert.Empty(vrrp.Peers);
        Assert.Equal(VrrpAuthenticationType.None, vrrp.Auth.Type);
        Assert.Equal(TimeSpan.FromSeconds(5), vrrp.GarpMasterDelay);
        Assert.Equal(5, vrrp.GarpMasterRepeat);
        Assert.Equal(TimeSpan.Zero, vrrp.GarpMasterRefresh);
        Assert.False(vrrp.SkipCheckAdvertAddresses);
    }
}
