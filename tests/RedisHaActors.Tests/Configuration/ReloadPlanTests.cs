using RedisHaActors.Configuration;
using Xunit;

namespace RedisHaActors.Tests.Configuration;

/// <summary>
/// <see cref="ReloadPlan"/>: which keys a reload applies at once, which wait for a restart, and that the running
/// values of the latter stay.
/// </summary>
public sealed class ReloadPlanTests
{
    private const string Base = """
        redis-ha.node.name = n1
        redis-ha.vrrp.virtual-ipaddress = ["192.0.2.100/24"]
        redis-ha.vrrp.interface = eth0
        redis-ha.vrrp.priority = 200
        """;

    private static HaSettings With(string extra = "") => HaSettings.Parse(Base + "\n" + extra);

    [Fact]
    public void An_unchanged_file_applies_nothing_and_leaves_nothing_pending()
    {
        var plan = ReloadPlan.Between(With(), With());
        Assert.Empty(plan.Applied);
        Assert.Empty(plan.Pending);
        Assert.Equal("reloaded: no runtime key changed", plan.Describe());
    }

    [Fact]
    public void Runtime_keys_are_applied_with_their_old_and_new_values()
    {
        var file = With("""
            redis-ha.vrrp.priority = 150
            redis-ha.vrrp.preempt = off
            redis-ha.vrrp.preempt-delay = 30s
            redis-ha.vrrp.garp-master-repeat = 3
            redis-ha.vrrp.garp-master-refresh = 60s
            redis-ha.redis.check.interval = 500ms
            redis-ha.redis.check.timeout = 200ms
            redis-ha.redis.check.rise = 3
            redis-ha.redis.check.fall = 4
            redis-ha.redis.check.weight = -50
            redis-ha.redis.sync-timeout = 20s
            redis-ha.log.level = debug
            redis-ha.status.listen = "127.0.0.1:9681"
            """);

        var plan = ReloadPlan.Between(With(), file);

        Assert.Empty(plan.Pending);
        Assert.Equal(13, plan.Applied.Count);
        Assert.Contains("redis-ha.vrrp.priority: 200 -> 150", plan.Applied);
        var e = plan.Effective;
        Assert.Equal(150, e.Vrrp.Priority);
        Assert.False(e.Vrrp.Preempt);
        Assert.Equal(TimeSpan.FromSeconds(30), e.Vrrp.PreemptDelay);
        Assert.Equal(3, e.Vrrp.GarpMasterRepeat);
        Assert.Equal(file.Redis.Check, e.Redis.Check);
        Assert.Equal(TimeSpan.FromSeconds(20), e.Redis.SyncTimeout);
        Assert.Equal(LogThreshold.Debug, e.Logging.Level);
        Assert.Equal(9681, e.StatusEndpoint.Listen!.Port);
    }

    [Fact]
    public void Restart_only_keys_are_pending_and_keep_their_running_values()
    {
        var running = With();
        var file = With("""
            redis-ha.vrrp.interface = eth1
            redis-ha.vrrp.virtual-router-id = 52
            redis-ha.vrrp.virtual-ipaddress = ["192.0.2.101/24"]
            redis-ha.redis.port = 6380
            redis-ha.log.format = json
            redis-ha.vrrp.priority = 180
            """);

        var plan = ReloadPlan.Between(running, file);

        Assert.Equal(["redis-ha.vrrp.interface", "redis-ha.vrrp.virtual-router-id", "redis-ha.vrrp.virtual-ipaddress", "redis-ha.redis.port", "redis-ha.log.format"],
            plan.Pending);
        Assert.Equal(["redis-ha.vrrp.priority: 200 -> 180"], plan.Applied);
        Assert.Equal("eth0", plan.Effective.Vrrp.Interface);
        Assert.Equal(51, plan.Effective.Vrrp.VirtualRouterId);
        Assert.Equal(6379, plan.Effective.Redis.Port);
        Assert.Equal(LogFormat.Text, plan.Effective.Logging.Format);
        Assert.Equal(180, plan.Effective.Vrrp.Priority);
        Assert.EndsWith("pending restart: redis-ha.vrrp.interface, redis-ha.vrrp.virtual-router-id, redis-ha.vrrp.virtual-ipaddress, redis-ha.redis.port, redis-ha.log.format",
            plan.Describe());
    }

    [Fact]
    public void A_key_changed_back_after_an_earlier_reload_is_no_longer_pending()
    {
        var running = With();
        var first = ReloadPlan.Between(running, With("redis-ha.redis.port = 6380"));
        Assert.Equal(["redis-ha.redis.port"], first.Pending);

        var second = ReloadPlan.Between(first.Effective, With());

        Assert.Empty(second.Pending);
    }

    [Fact]
    public void A_changed_secret_is_reported_without_its_value()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var token = Path.Combine(dir.FullName, "token");
            File.WriteAllText(token, "0123456789abcdef0123");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var plan = ReloadPlan.Between(With(), With($"redis-ha.status.token-file = \"{token}\""));
            Assert.Equal(["redis-ha.status.token-file (changed)"], plan.Applied);
            Assert.DoesNotContain("0123456789abcdef0123", plan.Describe());
            Assert.True(plan.Effective.StatusEndpoint.Token!.Matches("0123456789abcdef0123"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("redis-ha.vrrp.priority", true)]
    [InlineData("redis-ha.vrrp.preempt", true)]
    [InlineData("redis-ha.vrrp.preempt-delay", true)]
    [InlineData("redis-ha.redis.check.weight", true)]
    [InlineData("redis-ha.redis.sync-timeout", true)]
    [InlineData("redis-ha.vrrp.garp-master-delay", true)]
    [InlineData("redis-ha.log.level", true)]
    [InlineData("redis-ha.status.listen", true)]
    [InlineData("redis-ha.vrrp.advert-interval", false)]
    [InlineData("redis-ha.vrrp.vip-lease", false)]
    [InlineData("redis-ha.redis.host", false)]
    [InlineData("akka.cluster.seed-nodes", false)]
    public void The_table_says_which_keys_are_runtime(string path, bool runtime) =>
        Assert.Equal(runtime, ReloadPlan.IsRuntime(path));
}
