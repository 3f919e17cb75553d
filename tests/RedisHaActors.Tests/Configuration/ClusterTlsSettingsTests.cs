using RedisHaActors.Configuration;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Configuration;

/// <summary><c>redis-ha.cluster.tls</c>: files checked at load (check-config) with one line naming the key; the scheme follows the switch.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterTlsSettingsTests : IDisposable
{
    private const string Base = """
        redis-ha.vrrp.virtual-ipaddress = ["192.0.2.100/24"]
        akka.remote.dot-netty.tcp.hostname = "192.0.2.1"
        akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.ssl.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"]

        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-ctls-").FullName;
    private readonly TestCertificates _set = new("set CA");
    private readonly TestCertificates _other = new("other CA");

    private string Tls(string ca, string cert, string key) =>
        $"redis-ha.cluster.tls {{ enabled = on, ca-file = \"{ca}\", cert-file = \"{cert}\", key-file = \"{key}\" }}\n";

    [Fact]
    public void Valid_files_turn_every_cluster_address_to_the_TLS_scheme()
    {
        var (cert, key) = TestCertificates.WritePem(_set.Issue("n1"), _dir, "n1");
        var s = HaSettings.Parse(Base + Tls(_set.WriteAuthorityPem(_dir), cert, key));
        Assert.True(s.Cluster.Tls.Enabled);
        Assert.Equal("akka.ssl.tcp://redis-ha@192.0.2.1:4053", s.Cluster.SelfAddress.ToString());
        Assert.All(s.Cluster.Voters, v => Assert.Equal("akka.ssl.tcp", v.Protocol));
        Assert.DoesNotContain(s.ConfigWarnings, w => w.Contains("tls", StringComparison.Ordinal));
    }

    [Fact]
    public void Plain_TCP_is_warned_and_keeps_the_plain_scheme()
    {
        var s = HaSettings.Parse(Base);
        Assert.Equal("akka.tcp://redis-ha@192.0.2.1:4053", s.Cluster.SelfAddress.ToString());
        Assert.All(s.Cluster.Voters, v => Assert.Equal("akka.tcp", v.Protocol));
        Assert.Contains(s.ConfigWarnings, w => w.StartsWith("redis-ha.cluster.tls.enabled = off: the cluster port is plain TCP", StringComparison.Ordinal));
    }

    [Fact]
    public void A_certificate_from_another_CA_is_refused_naming_cert_file()
    {
        var (cert, key) = TestCertificates.WritePem(_other.Issue("n1"), _dir, "n1");
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Base + Tls(_set.WriteAuthorityPem(_dir), cert, key)));
        Assert.Equal("redis-ha.cluster.tls.cert-file", e.Key);
        Assert.Contains("not issued by the set's CA", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Missing_or_mismatched_files_are_refused_naming_their_key()
    {
        var (cert, key) = TestCertificates.WritePem(_set.Issue("n1"), _dir, "n1");
        var (_, otherKey) = TestCertificates.WritePem(_set.Issue("n2"), _dir, "n2");
        var ca = _set.WriteAuthorityPem(_dir);
        Assert.Equal("redis-ha.cluster.tls.ca-file", Refused(Tls(Path.Combine(_dir, "none.crt"), cert, key)).Key);
        Assert.Equal("redis-ha.cluster.tls.ca-file", Refused(Tls(key, cert, key)).Key);
        Assert.Equal("redis-ha.cluster.tls.key-file", Refused(Tls(ca, cert, "")).Key);
        Assert.Equal("redis-ha.cluster.tls.cert-file", Refused(Tls(ca, cert, otherKey)).Key);
        Assert.Equal("redis-ha.cluster.tls.cert-file", Refused(Tls(ca, "n1.crt", key)).Key);
    }

    [Fact]
    public void A_key_readable_by_others_is_warned()
    {
        var (cert, key) = TestCertificates.WritePem(_set.Issue("n1"), _dir, "n1");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var s = HaSettings.Parse(Base + Tls(_set.WriteAuthorityPem(_dir), cert, key));
        Assert.Contains(s.ConfigWarnings, w => w.StartsWith("redis-ha.cluster.tls.key-file", StringComparison.Ordinal) && w.Contains("readable by others"));
    }

    private ConfigurationException Refused(string tls) => Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Base + tls));

    public void Dispose()
    {
        _set.Dispose();
        _other.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
