using RedisHaActors.Configuration;
using RedisHaActors.Tests.Lab;

namespace RedisHaActors.Tests.Configuration;

/// <summary><c>redis-ha.log</c>, and the configuration sample the package installs.</summary>
public sealed class LogSettingsTests
{
    private const string Minimal = """redis-ha.vrrp.virtual-ipaddress = ["192.0.2.100/24"]""";

    [Fact]
    public void Log_format_defaults_to_text_and_takes_json()
    {
        Assert.Equal(LogFormat.Text, HaSettings.Parse(Minimal).Logging.Format);
        Assert.Equal(LogFormat.Json, HaSettings.Parse(Minimal + "\nredis-ha.log.format = json").Logging.Format);
    }

    [Fact]
    public void An_unknown_log_format_is_one_error_naming_the_key_and_the_choices()
    {
        var e = Assert.Throws<ConfigurationException>(() => HaSettings.Parse(Minimal + "\nredis-ha.log.format = xml"));
        Assert.Contains("redis-ha.log.format", e.Message);
        Assert.Contains("text|json", e.Message);
    }

    [Fact]
    public void The_packaged_sample_configuration_is_valid()
    {
        var settings = HaSettings.Load(Path.Combine(NamespaceLab.RepoRoot, "packaging/redis-ha.conf"));
        Assert.Equal(NodeRole.Data, settings.Node.Role);
        Assert.Equal(LogFormat.Text, settings.Logging.Format);
    }
}
