using RedisHaActors.Cluster;
using RedisHaActors.Configuration;

namespace RedisHaActors.Tests.Configuration;

/// <summary>Secrets in files of their own (redis.password-file, status.token-file) and where secrets must never go.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretsTests : IDisposable
{
    private const string Vip = "redis-ha.vrrp.virtual-ipaddress = [\"192.0.2.100/24\"]\n";
    private const string Password = "pw-SENTINEL-42 with spaces ";
    private const string TokenText = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private const UnixFileMode OwnerGroup = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-secrets-").FullName;

    private string Write(string name, string text, UnixFileMode mode = OwnerGroup)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string Quote(string path) => $"\"{path}\"";

    private static ConfigurationException Refused(string hocon) => Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Vip + hocon));

    // ---- redis.password-file ----

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("")]
    [InlineData("\n\n")]
    public void The_password_file_is_read_once_with_the_trailing_newline_trimmed(string lineEnd)
    {
        var file = Write("redis.pass", Password + lineEnd);
        var s = HaSettings.Parse(Vip + $"redis-ha.redis.password-file = {Quote(file)}");
        Assert.Equal(Password, s.Redis.Password);
        Assert.Equal(file, s.Redis.PasswordFile);
        Assert.Empty(s.ConfigWarnings);

        // Read once: later changes to the file are not seen by the settings already built.
        File.WriteAllText(file, "changed");
        Assert.Equal(Password, s.Redis.Password);
    }

    [Fact]
    public void Password_and_password_file_together_are_one_error_naming_the_key()
    {
        var file = Write("redis.pass", Password);
        var e = Refused($"redis-ha.redis {{ password = \"x\", password-file = {Quote(file)} }}");
        Assert.Equal("redis-ha.redis.password-file", e.Key);
        Assert.Contains("not both", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_unusable_password_file_is_one_error_naming_the_key()
    {
        var cases = new[]
        {
            (Path.Combine(_dir, "absent.pass"), "a file this process can read"),
            (_dir, "a file this process can read"),
            ("relative/redis.pass", "an absolute path"),
            (Write("empty.pass", "\n"), "it is empty"),
            (Write("two.pass", "a\nb\n"), "on one line"),
        };
        foreach (var (path, expected) in cases)
        {
            var e = Refused($"redis-ha.redis.password-file = {Quote(path)}");
            Assert.Equal("redis-ha.redis.password-file", e.Key);
            Assert.Contains(expected, e.Message);
            Assert.StartsWith($"redis-ha.redis.password-file = {path}: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void A_password_file_others_may_read_is_warned()
    {
        var file = Write("redis.pass", Password, OwnerGroup | UnixFileMode.OtherRead);
        var warning = Assert.Single(HaSettings.Parse(Vip + $"redis-ha.redis.password-file = {Quote(file)}").ConfigWarnings);
        Assert.Contains($"redis-ha.redis.password-file = {file} is readable by others (mode 0644)", warning);
        Assert.DoesNotContain("SENTINEL", warning);
    }

    // ---- status.token-file ----

    [Fact]
    public void The_token_file_gives_the_token_and_prints_as_stars()
    {
        var file = Write("control.token", TokenText + "\n");
        var s = HaSettings.Parse(Vip + $"redis-ha.status.token-file = {Quote(file)}");
        Assert.NotNull(s.StatusEndpoint.Token);
        Assert.True(s.StatusEndpoint.Token!.Matches(TokenText));
        Assert.False(s.StatusEndpoint.Token.Matches(TokenText + "x"));
        Assert.Equal(TokenText, s.StatusEndpoint.Token.Reveal());
        Assert.DoesNotContain(TokenText, s.StatusEndpoint.ToString());
        Assert.Contains("Token = ***", s.StatusEndpoint.ToString());
        Assert.Contains("actions with the token", s.Summary());
        Assert.Contains("actions refused: no token-file", HaSettings.Parse(Vip).Summary());
    }

    [Fact]
    public void An_unusable_token_file_is_one_error_naming_the_key()
    {
        var cases = new[]
        {
            (Path.Combine(_dir, "absent.token"), "a file this process can read"),
            (Write("short.token", "0123456789abcde"), "at least 16 visible ASCII characters"),
            (Write("space.token", "0123456789 abcdef0123"), "at least 16 visible ASCII characters"),
            (Write("empty.token", ""), "it is empty"),
        };
        foreach (var (path, expected) in cases)
        {
            var e = Refused($"redis-ha.status.token-file = {Quote(path)}");
            Assert.Equal("redis-ha.status.token-file", e.Key);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Theory]
    [InlineData("0.0.0.0:9680")]
    [InlineData("192.0.2.1:9680")]
    public void A_listen_address_off_loopback_needs_the_token_and_is_warned(string listen)
    {
        var e = Refused($"redis-ha.status.listen = \"{listen}\"");
        Assert.Equal("redis-ha.status.token-file", e.Key);
        Assert.Contains($"required when redis-ha.status.listen ({listen}) is not a loopback address", e.Message);

        var file = Write("control.token", TokenText);
        var s = HaSettings.Parse(Vip + $"redis-ha.status {{ listen = \"{listen}\", token-file = {Quote(file)} }}");
        Assert.Contains(s.ConfigWarnings, w => w.Contains($"redis-ha.status.listen = {listen} is not a loopback address", StringComparison.Ordinal));
        Assert.Empty(HaSettings.Parse(Vip + "redis-ha.status.listen = \"127.0.0.2:9680\"").ConfigWarnings);
    }

    // ---- where secrets must never go ----

    [Fact]
    public void The_password_never_reaches_Akka_config_nor_the_settings_ToString_nor_the_summary()
    {
        var passwordFile = Write("redis.pass", "file-SENTINEL-43");
        foreach (var redis in new[] { $"redis-ha.redis.password = \"{Password}\"", $"redis-ha.redis.password-file = {Quote(passwordFile)}" })
        {
            var s = HaSettings.Parse(Vip + redis + "\n" + $"""
                redis-ha.status.token-file = {Quote(Write("control.token", TokenText))}
                akka.cluster.seed-nodes = ["akka.tcp://redis-ha@127.0.0.1:4053"]
                akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
                akka.loglevel = DEBUG
                """);
            // What the hosting hands to Akka (and Akka prints with log-config-on-start): its own keys only.
            var akka = ClusterConfig.For(s.Cluster, s.Config).ToString();
            Assert.Equal("DEBUG", s.Config.GetString("akka.loglevel"));
            Assert.Equal("127.0.0.1", ClusterConfig.For(s.Cluster, s.Config).GetString("akka.remote.dot-netty.tcp.hostname"));
            foreach (var printed in new[] { akka, s.Config.ToString(), s.ToString(), s.Redis.ToString(), s.Summary() })
            {
                Assert.DoesNotContain("SENTINEL", printed);
                Assert.DoesNotContain(TokenText, printed);
            }
            Assert.DoesNotContain("redis-ha {", akka);
            Assert.Contains("Password = ***", s.ToString());
        }
    }

    // ---- the node file's mode ----

    [Fact]
    public void A_node_file_others_may_read_is_warned_when_it_holds_a_password()
    {
        var inline = Write("inline.conf", Vip + $"redis-ha.redis.password = \"{Password}\"", OwnerGroup | UnixFileMode.OtherRead);
        var warning = Assert.Single(HaSettings.Load(inline).ConfigWarnings);
        Assert.Contains($"{inline} is readable by others (mode 0644)", warning);
        Assert.Contains("redis-ha.redis.password-file", warning);
        Assert.DoesNotContain("SENTINEL", warning);

        // The password in an included file: the include is named too.
        var shared = Write("shared.conf", $"redis-ha.redis.password = \"{Password}\"", OwnerGroup | UnixFileMode.OtherRead);
        var node = Write("node.conf", Vip + "include \"shared.conf\"", OwnerGroup);
        Assert.Contains(shared, Assert.Single(HaSettings.Load(node).ConfigWarnings));

        // Private file, or no secret in it: nothing to say.
        Assert.Empty(HaSettings.Load(Write("private.conf", Vip + $"redis-ha.redis.password = \"{Password}\"", OwnerGroup)).ConfigWarnings);
        var passwordFile = Write("redis.pass", Password);
        Assert.Empty(HaSettings.Load(Write("open.conf", Vip + $"redis-ha.redis.password-file = {Quote(passwordFile)}",
            OwnerGroup | UnixFileMode.OtherRead)).ConfigWarnings);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
