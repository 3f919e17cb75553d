using System.Net;
using RedisHaActors.Configuration;
using Xunit;

namespace RedisHaActors.Tests.Configuration;

public sealed class SettingsTests
{
    private const string Vip = "redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.100/24\"]\n";

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RedisHaActors.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"RedisHaActors.sln not found above {AppContext.BaseDirectory}");
    }

    private static string HoconFile(string name) => Path.Combine(RepoRoot(), "hocon", name);

    // ---- the lab's node files ----

    [Theory]
    [InlineData("n1.conf", "n1", 200, "192.0.2.1")]
    [InlineData("n2.conf", "n2", 190, "192.0.2.2")]
    public void Lab_node_files_load_with_their_include(string file, string name, int priority, string announce)
    {
        // The test runs from bin/, so common.conf is only found if includes resolve relative to the node file.
        Assert.NotEqual(Path.GetDirectoryName(HoconFile(file)), Directory.GetCurrentDirectory());

        var s = HaSettings.Load(HoconFile(file));

        Assert.Equal(name, s.Node.Name);
        Assert.Equal(NodeRole.Data, s.Node.Role);
        Assert.Equal(priority, s.Vrrp.Priority);
        // From common.conf:
        Assert.Equal("eth0", s.Vrrp.Interface);
        Assert.Equal(51, s.Vrrp.VirtualRouterId);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Vrrp.AdvertInterval);
        Assert.Equal(100, s.Vrrp.AdvertIntervalCentiseconds);
        Assert.Equal(3, s.Vrrp.Version);
        Assert.True(s.Vrrp.Preempt);
        Assert.Equal([new VirtualAddress(IPAddress.Parse("192.0.2.100"), 24)], s.Vrrp.VirtualAddresses);
        Assert.Equal("127.0.0.1", s.Redis.Host);
        Assert.Equal(6379, s.Redis.Port);
        Assert.Equal(new RedisCheckSettings(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 2, 2, -20), s.Redis.Check);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Redis.SyncTimeout);
        Assert.Equal(announce, s.Redis.AnnounceHost);
        // From reference.conf:
        Assert.Equal(TimeSpan.FromSeconds(2), s.Vrrp.VipLease);
        Assert.Equal(5, s.Vrrp.GarpMasterRepeat);
        Assert.Contains($"node {name} (data)", s.Summary());
    }

    // ---- defaults ----

    [Fact]
    public void Defaults_come_from_reference_conf()
    {
        var s = HaSettings.Parse(Vip);

        Assert.Equal(new NodeSettings("node", NodeRole.Data), s.Node);
        Assert.Equal("eth0", s.Vrrp.Interface);
        Assert.Equal(51, s.Vrrp.VirtualRouterId);
        Assert.Equal(100, s.Vrrp.Priority);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Vrrp.AdvertInterval);
        Assert.Equal(3, s.Vrrp.Version);
        Assert.True(s.Vrrp.Preempt);
        Assert.Equal(TimeSpan.FromSeconds(2), s.Vrrp.VipLease);
        Assert.Equal(5, s.Vrrp.GarpMasterRepeat);
        Assert.Equal("127.0.0.1", s.Redis.Host);
        Assert.Equal(6379, s.Redis.Port);
        Assert.Equal("", s.Redis.Password);
        Assert.Equal("", s.Redis.User);
        Assert.Equal("", s.Redis.AnnounceHost);
        Assert.Equal(new RedisCheckSettings(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 2, 2, -20), s.Redis.Check);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Redis.SyncTimeout);
        // The reference itself is embedded.
        Assert.Equal(100, HoconLoader.Reference.GetInt("redis-ha.vrrp.priority"));
    }

    [Fact]
    public void Node_file_values_override_the_reference()
    {
        var s = HaSettings.Parse(Vip + """
            redis-ha.vrrp { priority = 254, virtual-router-id = 255, advert-interval = 200ms, preempt = off, vip-lease = 5s, garp-master-repeat = 1 }
            redis-ha.redis { port = 6380, password = "s3cret", check { weight = 30, rise = 1, fall = 100 } }
            """);
        Assert.Equal(254, s.Vrrp.Priority);
        Assert.Equal(255, s.Vrrp.VirtualRouterId);
        Assert.Equal(20, s.Vrrp.AdvertIntervalCentiseconds);
        Assert.False(s.Vrrp.Preempt);
        Assert.Equal(TimeSpan.FromSeconds(5), s.Vrrp.VipLease);
        Assert.Equal(1, s.Vrrp.GarpMasterRepeat);
        Assert.Equal(6380, s.Redis.Port);
        Assert.Equal((30, 1, 100), (s.Redis.Check.Weight, s.Redis.Check.Rise, s.Redis.Check.Fall));
        Assert.Equal(NodeRole.Data, s.Node.Role);
        Assert.DoesNotContain("s3cret", s.Redis.ToString());
    }

    private const string ThreeVoters = """
        akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"]

        """;

    [Fact]
    public void A_witness_ignores_its_vrrp_and_redis_sections_and_needs_the_voters()
    {
        // No VIP, a bad priority: a witness never reads these sections.
        var s = HaSettings.Parse(ThreeVoters + """
            akka.remote.dot-netty.tcp.hostname = "192.0.2.3"
            redis-ha.node { name = "w", role = witness }
            redis-ha.vrrp.priority = 999
            """);
        Assert.Equal(NodeRole.Witness, s.Node.Role);
        Assert.Equal(3, s.Cluster.Voters.Count);
        Assert.StartsWith("node w (witness); cluster akka.tcp://redis-ha@192.0.2.3:4053, 3 voters (majority 2)", s.Summary());
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse("redis-ha.node.role = witness"));
        Assert.StartsWith("akka.cluster.seed-nodes = []: a witness needs the voters", e.Message);
    }

    [Fact]
    public void Seed_nodes_are_the_voters_and_need_this_nodes_hostname()
    {
        var s = HaSettings.Parse(Vip + ThreeVoters + "akka.remote.dot-netty.tcp { hostname = \"192.0.2.1\", port = 4053 }");
        Assert.True(s.Cluster.Enabled);
        Assert.Equal(2, s.Cluster.Majority);
        Assert.True(s.Cluster.QuorumRequired);
        Assert.Equal("akka.tcp://redis-ha@192.0.2.1:4053", s.Cluster.SelfAddress.ToString());
        Assert.Equal(["plain TCP"], s.ConfigWarnings.Select(w => w.Contains("plain TCP", StringComparison.Ordinal) ? "plain TCP" : w));
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + ThreeVoters));
        Assert.StartsWith("akka.remote.dot-netty.tcp.hostname = : this node's address", e.Message);
    }

    [Theory]
    [InlineData("[\"192.0.2.1:4053\"]", "akka.cluster.seed-nodes = 192.0.2.1:4053: addresses like")]
    [InlineData("[\"akka.tcp://other@192.0.2.1:4053\"]", "akka.cluster.seed-nodes = akka.tcp://other@192.0.2.1:4053: addresses like")]
    [InlineData("[\"akka.tcp://redis-ha@192.0.2.1:4053\", \"akka.tcp://redis-ha@192.0.2.1:4053\"]", "akka.cluster.seed-nodes = akka.tcp://redis-ha@192.0.2.1:4053: each address once")]
    public void Bad_seed_nodes_are_one_clear_line(string seeds, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() =>
            HaSettings.Parse(Vip + $"akka.cluster.seed-nodes = {seeds}\nakka.remote.dot-netty.tcp.hostname = \"192.0.2.1\""));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Two_voters_default_to_availability_with_a_warning_and_quorum_mode_requires_both()
    {
        const string two = """
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053"]
            akka.remote.dot-netty.tcp.hostname = "192.0.2.1"

            """;
        var a = HaSettings.Parse(Vip + two);
        Assert.False(a.Cluster.QuorumRequired);
        Assert.Contains(a.ConfigWarnings, w => w.Contains("a partition can give two masters", StringComparison.Ordinal));
        var q = HaSettings.Parse(Vip + two + "redis-ha.cluster.two-voter-mode = quorum");
        Assert.True(q.Cluster.QuorumRequired);
        Assert.Equal(["plain TCP"], q.ConfigWarnings.Select(w => w.Contains("plain TCP", StringComparison.Ordinal) ? "plain TCP" : w));
        Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + two + "redis-ha.cluster.two-voter-mode = maybe"));
    }

    // ---- includes ----

    [Fact]
    public void Include_is_relative_to_the_including_file_at_every_level()
    {
        var root = Directory.CreateTempSubdirectory("redisha-include-");
        try
        {
            var nodes = Directory.CreateDirectory(Path.Combine(root.FullName, "nodes"));
            var shared = Directory.CreateDirectory(Path.Combine(root.FullName, "shared"));
            File.WriteAllText(Path.Combine(shared.FullName, "vips.conf"), Vip + "redis-ha.vrrp.priority = 150\n");
            File.WriteAllText(Path.Combine(shared.FullName, "common.conf"), "include \"vips.conf\"\nredis-ha.vrrp.advert-interval = 300ms\n");
            File.WriteAllText(Path.Combine(nodes.FullName, "node.conf"), "include \"../shared/common.conf\"\nredis-ha.vrrp.priority = 160\n");

            var s = HaSettings.Load(Path.Combine(nodes.FullName, "node.conf"));

            Assert.Equal("192.0.2.100/24", Assert.Single(s.Vrrp.VirtualAddresses).ToString()); // nested include, relative to shared/
            Assert.Equal(30, s.Vrrp.AdvertIntervalCentiseconds);
            Assert.Equal(160, s.Vrrp.Priority); // the node file's own value wins over the included one
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Missing_include_is_a_configuration_error_naming_the_file()
    {
        var root = Directory.CreateTempSubdirectory("redisha-include-");
        try
        {
            var node = Path.Combine(root.FullName, "node.conf");
            File.WriteAllText(node, "include \"nowhere.conf\"\n" + Vip);
            var e = Assert.Throws<ConfigurationException>(() => HaSettings.Load(node));
            Assert.Contains("nowhere.conf", e.Key);
            Assert.Contains("cannot read file", e.Message);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Unreadable_file_is_a_configuration_error_keyed_by_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"redisha-missing-{Guid.NewGuid():N}", "node.conf");
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Load(path));
        Assert.Equal(path, e.Key);
        Assert.Null(e.Value);
        Assert.StartsWith(path + ": cannot read file", e.Message);
    }

    [Fact]
    public void A_directory_is_not_a_readable_file()
    {
        var dir = Directory.CreateTempSubdirectory("redisha-dir-");
        try
        {
            var e = Assert.Throws<ConfigurationException>(() => HaSettings.Load(dir.FullName));
            Assert.Equal(dir.FullName, e.Key);
            Assert.Contains("cannot read file", e.Message);
        }
        finally
        {
            dir.Delete();
        }
    }

    [Fact]
    public void Hocon_the_parser_rejects_is_a_configuration_error_naming_the_origin()
    {
        // Akka's HOCON parser is lenient about braces and brackets; an unresolved substitution is one thing it rejects.
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + "redis-ha.vrrp.priority = ${nothing.here}"));
        Assert.Equal("<text>", e.Key);
        Assert.Contains("not valid HOCON", e.Message);
        Assert.Contains("nothing.here", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Redis_TLS_is_off_by_default_and_verify_off_is_warned()
    {
        var plain = HaSettings.Parse(Vip);
        Assert.False(plain.Redis.TlsInEffect.Enabled);
        Assert.DoesNotContain(plain.ConfigWarnings, w => w.Contains("tls", StringComparison.Ordinal));

        var s = HaSettings.Parse(Vip + "redis-ha.redis.tls { enabled = on, verify = off, server-name = \"redis.example\" }");
        Assert.Equal(new RedisTlsSettings(true, "", "", "", "redis.example", false), s.Redis.Tls);
        Assert.Contains(s.ConfigWarnings, w => w.StartsWith("redis-ha.redis.tls.verify = off: any server certificate is accepted", StringComparison.Ordinal));
    }

    [Fact]
    public void Redis_TLS_files_are_parsed_at_check_config()
    {
        using var certs = new RedisHaActors.Tests.Redis.TestCertificates();
        var good = HaSettings.Parse(Vip + $"redis-ha.redis.tls {{ enabled = on, ca-file = \"{certs.CaFile}\", " +
                                    $"cert-file = \"{certs.ClientCertFile}\", key-file = \"{certs.ClientKeyFile}\" }}");
        Assert.Equal(certs.CaFile, good.Redis.TlsInEffect.CaFile);

        var notPem = Path.Combine(certs.Dir, "not-a-certificate.txt");
        File.WriteAllText(notPem, "hello");
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + $"redis-ha.redis.tls {{ enabled = on, ca-file = \"{notPem}\" }}"));
        Assert.Equal("redis-ha.redis.tls.ca-file", e.Key);
        Assert.Contains("a readable PEM certificate", e.Message);
        // A client certificate with another certificate's key.
        e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + $"redis-ha.redis.tls {{ enabled = on, " +
            $"cert-file = \"{certs.ClientCertFile}\", key-file = \"{certs.ServerKeyFile}\" }}"));
        Assert.Equal("redis-ha.redis.tls.cert-file", e.Key);
        Assert.DoesNotContain('\n', e.Message);
    }

    // ---- bad values: the full key, the value and what is allowed ----

    public static TheoryData<string, string, string?, string> BadValues => new()
    {
        // hocon, key, value as written, what the message must name as allowed
        { "redis-ha.vrrp.priority = 300", "redis-ha.vrrp.priority", "300", "1..254" },
        { "redis-ha.vrrp.priority = 0", "redis-ha.vrrp.priority", "0", "1..254" },
        { "redis-ha.vrrp.priority = 255", "redis-ha.vrrp.priority", "255", "1..254" },
        { "redis-ha.vrrp.priority = high", "redis-ha.vrrp.priority", "high", "1..254" },
        { "redis-ha.vrrp.virtual-router-id = 0", "redis-ha.vrrp.virtual-router-id", "0", "1..255" },
        { "redis-ha.vrrp.virtual-router-id = 256", "redis-ha.vrrp.virtual-router-id", "256", "1..255" },
        { "redis-ha.vrrp.advert-interval = 0s", "redis-ha.vrrp.advert-interval", "0s", "10ms..40.95s" },
        { "redis-ha.vrrp.advert-interval = 15ms", "redis-ha.vrrp.advert-interval", "15ms", "10ms steps" },
        { "redis-ha.vrrp.advert-interval = 0.015s", "redis-ha.vrrp.advert-interval", "0.015s", "10ms steps" },
        { "redis-ha.vrrp.advert-interval = 41s", "redis-ha.vrrp.advert-interval", "41s", "10ms..40.95s" },
        { "redis-ha.vrrp.advert-interval = soon", "redis-ha.vrrp.advert-interval", "soon", "10ms..40.95s" },
        { "redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.300/24\"]", "redis-ha.vrrp.virtual-ipaddress", "192.0.2.300/24", "IPv4" },
        { "redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.100/33\"]", "redis-ha.vrrp.virtual-ipaddress", "192.0.2.100/33", "IPv4" },
        { "redis-ha.vrrp.virtual-ipaddress = [\"2001:db8::1/64\"]", "redis-ha.vrrp.virtual-ipaddress", "2001:db8::1/64", "IPv4" },
        { "redis-ha.vrrp.virtual-ipaddress = []", "redis-ha.vrrp.virtual-ipaddress", "[]", "at least one" },
        { "redis-ha.vrrp.preempt = maybe", "redis-ha.vrrp.preempt", "maybe", "on|off" },
        { "redis-ha.vrrp.version = 4", "redis-ha.vrrp.version", "4", "2..3" },
        { "redis-ha.vrrp.vip-lease = 1500ms", "redis-ha.vrrp.vip-lease", "1500ms", "whole seconds" },
        { "redis-ha.vrrp.vip-lease = 0s", "redis-ha.vrrp.vip-lease", "0s", "1s..1h" },
        { "redis-ha.vrrp.garp-master-repeat = 0", "redis-ha.vrrp.garp-master-repeat", "0", "1..100" },
        { "redis-ha.vrrp.interface = \"\"", "redis-ha.vrrp.interface", "", "1..15 characters" },
        { "redis-ha.vrrp.interface = \"a-very-long-interface\"", "redis-ha.vrrp.interface", "a-very-long-interface", "1..15 characters" },
        { "redis-ha.node.role = arbiter", "redis-ha.node.role", "arbiter", "data|witness" },
        { "redis-ha.redis.port = 0", "redis-ha.redis.port", "0", "1..65535" },
        { "redis-ha.redis.port = 65536", "redis-ha.redis.port", "65536", "1..65535" },
        { "redis-ha.redis.check.timeout = 3s", "redis-ha.redis.check.timeout", "3s", "2s" },
        { "redis-ha.redis.check { interval = 500ms, timeout = 501ms }", "redis-ha.redis.check.timeout", "501ms", "500ms" },
        { "redis-ha.redis.check.interval = 5ms", "redis-ha.redis.check.interval", "5ms", "10ms..1h" },
        { "redis-ha.redis.check.rise = 0", "redis-ha.redis.check.rise", "0", "1..100" },
        { "redis-ha.redis.check.fall = 101", "redis-ha.redis.check.fall", "101", "1..100" },
        { "redis-ha.redis.check.weight = -255", "redis-ha.redis.check.weight", "-255", "-254..254" },
        { "redis-ha.redis.sync-timeout = 11m", "redis-ha.redis.sync-timeout", "11m", "0s..10m" },
        { "redis-ha.redis.max-loss = lots", "redis-ha.redis.max-loss", "lots", "off or a byte count" },
        { "redis-ha.redis.max-loss = -1", "redis-ha.redis.max-loss", "-1", "off or a byte count" },
        { "redis-ha.redis.max-loss = 2000g", "redis-ha.redis.max-loss", "2000g", "0..1099511627776" },
        { "redis-ha.redis.announce-host = \"not a host!\"", "redis-ha.redis.announce-host", "not a host!", "IPv4 address or host name" },
        { "redis-ha.redis.tls { enabled = on, ca-file = \"/nonexistent/ca.crt\" }", "redis-ha.redis.tls.ca-file", "/nonexistent/ca.crt", "not found" },
        { "redis-ha.redis.tls { enabled = on, cert-file = \"/etc/hostname\" }", "redis-ha.redis.tls.key-file", "", "cert-file and key-file go together" },
        { "redis-ha.redis.tls.enabled = sometimes", "redis-ha.redis.tls.enabled", "sometimes", "on|off" },
        { "redis-ha.redis.tls { enabled = on, ca-file = \"certs/ca.crt\" }", "redis-ha.redis.tls.ca-file", "certs/ca.crt", "an absolute path" },
        { "redis-ha.redis.tls.cafile = \"x\"", "redis-ha.redis.tls.cafile", null, "unknown key" },
        { "redis-ha.vrrp.prioriti = 200", "redis-ha.vrrp.prioriti", null, "unknown key" },
        { "redis-ha.redis.check.wieght = -20", "redis-ha.redis.check.wieght", null, "unknown key" },
        { "redis-ha.vrrps.priority = 200", "redis-ha.vrrps.priority", null, "unknown key" },
        { "redis-ha.vrrp = 1", "redis-ha.vrrp", null, "section" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Bad_value_names_the_full_key_the_value_and_the_allowed_range(string hocon, string key, string? value, string allowed)
    {
        // The VIP line comes first so that the case under test can override it.
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + hocon));

        Assert.Equal(key, e.Key);
        Assert.Equal(value, e.Value);
        Assert.Contains(allowed, e.Allowed);
        Assert.StartsWith(value is null ? key + ": " : $"{key} = {value}: ", e.Message);
        Assert.Contains(allowed, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("", null)]                      // reference.conf: off
    [InlineData("redis-ha.redis.max-loss = off", null)]
    [InlineData("redis-ha.redis.max-loss = 0", 0L)]
    [InlineData("redis-ha.redis.max-loss = 65536", 65536L)]
    [InlineData("redis-ha.redis.max-loss = 64k", 65536L)]
    [InlineData("redis-ha.redis.max-loss = 16m", 16L << 20)]
    public void Max_loss_is_off_by_default_or_a_byte_count(string hocon, long? expected)
    {
        Assert.Equal(expected, HaSettings.Parse(Vip + hocon).Redis.MaxLoss);
    }

    [Fact]
    public void Priority_message_is_one_readable_line()
    {
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + "redis-ha.vrrp.priority = 300"));
        Assert.Equal("redis-ha.vrrp.priority = 300: allowed 1..254", e.Message);
    }

    // ---- good values at the edges ----

    public static TheoryData<string, ushort> GoodAdvertIntervals => new()
    {
        { "10ms", 1 }, { "200ms", 20 }, { "0.2s", 20 }, { "1s", 100 }, { "1.5s", 150 }, { "2.5s", 250 }, { "40950ms", 4095 }, { "40.95s", 4095 },
        { "200", 20 }, // a bare number means milliseconds
    };

    [Theory]
    [MemberData(nameof(GoodAdvertIntervals))]
    public void Advert_interval_accepts_every_10ms_step_up_to_40_95s(string text, ushort cs)
    {
        var s = HaSettings.Parse(Vip + $"redis-ha.vrrp.advert-interval = {text}");
        Assert.Equal(cs, s.Vrrp.AdvertIntervalCentiseconds);
        Assert.Equal(TimeSpan.FromMilliseconds(cs * 10), s.Vrrp.AdvertInterval);
    }

    [Fact]
    public void Check_timeout_equal_to_the_interval_is_valid()
    {
        var s = HaSettings.Parse(Vip + "redis-ha.redis.check { interval = 2s, timeout = 2s }");
        Assert.Equal(s.Redis.Check.Interval, s.Redis.Check.Timeout);
    }

    [Fact]
    public void Several_virtual_addresses_and_a_bare_address_as_slash_32()
    {
        var s = HaSettings.Parse("redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.100/24\", \"192.0.2.101\"]");
        Assert.Equal(["192.0.2.100/24", "192.0.2.101/32"], s.Vrrp.VirtualAddresses.Select(v => v.ToString()));
    }

    [Fact]
    public void Akka_keys_beside_redis_ha_are_accepted_and_kept()
    {
        var s = HaSettings.Parse(Vip + """
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053"]
            akka.remote.dot-netty.tcp.hostname = "192.0.2.1"
            akka.loglevel = DEBUG
            """);
        Assert.Equal(["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053"], s.Config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("DEBUG", s.Config.GetString("akka.loglevel"));
        Assert.Equal(200, HaSettings.Parse(Vip + "akka.cluster.seed-nodes = []\nredis-ha.vrrp.priority = 200").Vrrp.Priority);
    }

    // ---- virtual addresses ----

    [Theory]
    [InlineData("192.0.2.100/24", "192.0.2.100", 24)]
    [InlineData("192.0.2.100", "192.0.2.100", 32)]
    [InlineData(" 192.0.2.7/0 ", "192.0.2.7", 0)]
    [InlineData("192.0.2.255/32", "192.0.2.255", 32)]
    public void Virtual_address_parses_cidr(string text, string address, int prefix)
    {
        Assert.True(VirtualAddress.TryParse(text, out var v));
        Assert.Equal(new VirtualAddress(IPAddress.Parse(address), prefix), v);
        Assert.Equal($"{address}/{prefix}", v!.ToString());
    }

    [Theory]
    [InlineData("192.0.2.300/24")]
    [InlineData("192.0.2/24")]
    [InlineData("192.0.2.1.5")]
    [InlineData("192.0.2.100/33")]
    [InlineData("192.0.2.100/-1")]
    [InlineData("192.0.2.100/+24")]
    [InlineData("192.0.2.100/")]
    [InlineData("192.0.2.100/24/8")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("2001:db8::1")]
    [InlineData("vip.example")]
    [InlineData("")]
    public void Virtual_address_rejects_anything_but_dotted_decimal_ipv4(string text)
    {
        Assert.False(VirtualAddress.TryParse(text, out var v));
        Assert.Null(v);
    }

    [Theory]
    [InlineData("192.0.2.010/24", "192.0.2.10")]
    [InlineData("010.0.2.1", "10.0.2.1")]
    public void Octet_with_a_leading_zero_is_never_read_as_octal(string text, string decimalReading)
    {
        // "four decimal octets": 192.0.2.010 is either rejected or 192.0.2.10, never octal 192.0.2.8.
        if (VirtualAddress.TryParse(text, out var v))
            Assert.Equal(IPAddress.Parse(decimalReading), v!.Address);

        try
        {
            var s = HaSettings.Parse($"redis-ha.vrrp.virtual-ipaddress = [\"{text}\"]");
            Assert.Equal(IPAddress.Parse(decimalReading), Assert.Single(s.Vrrp.VirtualAddresses).Address);
        }
        catch (ConfigurationException e)
        {
            Assert.Equal("redis-ha.vrrp.virtual-ipaddress", e.Key);
        }
    }
}
