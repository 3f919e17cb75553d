using Akka.Configuration;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;

namespace RedisHaActors.Tests.Cluster;

/// <summary>
/// <see cref="ClusterTransportSettings"/> read from the section a node's Akka configuration gives the transport
/// (<see cref="ClusterConfig.For"/> over Akka's defaults): the keys of Akka's own section, Akka's defaults, one line for a bad value.
/// </summary>
public sealed class ClusterTransportSettingsTests
{
    private static readonly ClusterTlsSettings Tls = new(true, "/ca.crt", "/node.crt", "/node.key");

    private static Config Akka(string nodeFile)
    {
        return ClusterConfig.For(new ClusterGuardSettings([], "192.0.2.1", 4053, TwoVoterMode.Quorum, Tls), ConfigurationFactory.ParseString(nodeFile))
            .WithFallback(AkkaRemoteDefaults.Value);
    }

    /// <summary>Akka.Remote's reference configuration (what its provider adds to a running system's).</summary>
    private static readonly Lazy<Config> AkkaRemoteDefaults = new(() =>
    {
        using var stream = typeof(global::Akka.Remote.RemoteSettings).Assembly.GetManifestResourceStream("Akka.Remote.Configuration.Remote.conf")!;
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });

    [Fact]
    public void With_TLS_on_the_section_names_this_transport_and_keeps_Akkas_defaults()
    {
        var config = Akka("");
        Assert.Equal(ClusterTlsTransport.TransportClass, config.GetString("akka.remote.dot-netty.tcp.transport-class"));
        var settings = ClusterTransportSettings.From(config.GetConfig("akka.remote.dot-netty.tcp"), config);
        Assert.Equal(new ClusterTransportSettings("192.0.2.1", "192.0.2.1", 4053, null, 128000, TimeSpan.FromSeconds(15), true, TimeSpan.FromSeconds(2), 4096), settings);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.InboundHandshakeTimeout);
        Assert.NotNull(Type.GetType(ClusterTlsTransport.TransportClass));
    }

    [Fact]
    public void A_node_file_sets_the_public_address_frame_size_timeout_byte_order_and_backlog_and_cannot_swap_the_transport()
    {
        var config = Akka("""
            akka.remote.dot-netty.tcp {
              public-hostname = "ha1.example", public-port = 14053, maximum-frame-size = 256000b
              connection-timeout = 3s, byte-order = big-endian, backlog = 64
              transport-class = "Akka.Remote.Transport.DotNetty.TcpTransport, Akka.Remote"
            }
            """);
        Assert.Equal(ClusterTlsTransport.TransportClass, config.GetString("akka.remote.dot-netty.tcp.transport-class"));
        var settings = ClusterTransportSettings.From(config.GetConfig("akka.remote.dot-netty.tcp"), config);
        Assert.Equal(new ClusterTransportSettings("192.0.2.1", "ha1.example", 4053, 14053, 256000, TimeSpan.FromSeconds(3), false, TimeSpan.FromSeconds(2), 64), settings);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.InboundHandshakeTimeout);
    }

    [Theory]
    [InlineData("maximum-frame-size = 1000b", "akka.remote.dot-netty.tcp.maximum-frame-size = 1000: allowed 32000 bytes or more")]
    [InlineData("byte-order = middle-endian", "akka.remote.dot-netty.tcp.byte-order = middle-endian: allowed little-endian, big-endian")]
    [InlineData("public-port = 70000", "akka.remote.dot-netty.tcp.public-port = 70000: allowed 0..65535")]
    [InlineData("backlog = 0", "akka.remote.dot-netty.tcp.backlog = 0: allowed 1 or more")]
    public void A_value_out_of_range_fails_with_one_line_naming_the_key(string line, string message)
    {
        var config = Akka("akka.remote.dot-netty.tcp." + line);
        var e = Assert.Throws<global::Akka.Configuration.ConfigurationException>(() => ClusterTransportSettings.From(config.GetConfig("akka.remote.dot-netty.tcp"), config));
        Assert.Equal(message, e.Message);
    }
}
