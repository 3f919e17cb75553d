using RedisHaActors.Tests.Lab;

namespace RedisHaActors.Tests.Cli;

/// <summary>The built <c>redis-ha</c> executable: exit codes and one-line errors.</summary>
public sealed class CoordinatorCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-cli-").FullName;

    private static (int Exit, string Stdout, string Stderr) RedisHa(params string[] args) => RedisHaProcess.Run(args);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("n1", "priority 200", "")]
    [InlineData("n2", "priority 190", "")]
    // The witness sample carries the voters but no certificate paths (lab/demo.sh adds them): plain TCP, warned.
    [InlineData("n3", "witness", "redis-ha: warning: redis-ha.cluster.tls.enabled = off: the cluster port is plain TCP")]
    public void Check_config_accepts_the_samples_and_prints_a_summary(string node, string expected, string warning)
    {
        var (exit, stdout, stderr) = RedisHa("check-config", "--config", Path.Combine(NamespaceLab.RepoRoot, $"hocon/{node}.conf"));
        Assert.Equal(0, exit);
        Assert.Contains($"node {node}", stdout);
        Assert.Contains(expected, stdout);
        if (warning.Length == 0) Assert.Equal("", stderr);
        else Assert.StartsWith(warning, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis-ha.vrrp { priority = 300, virtual-ipaddress = [\"192.0.2.100/24\"] }", "redis-ha.vrrp.priority = 300: allowed 1..254")]
    [InlineData("redis-ha.vrrp { virtual-router-id = 0, virtual-ipaddress = [\"192.0.2.100/24\"] }", "redis-ha.vrrp.virtual-router-id = 0: allowed 1..255")]
    [InlineData("redis-ha.vrrp { advert-interval = 0s, virtual-ipaddress = [\"192.0.2.100/24\"] }", "redis-ha.vrrp.advert-interval = 0s: allowed 10ms..40.95s")]
    [InlineData("redis-ha.vrrp { virtual-ipaddress = [\"192.0.2.300/24\"] }", "redis-ha.vrrp.virtual-ipaddress = 192.0.2.300/24")]
    [InlineData("redis-ha.vrrp { virtual-ipaddress = [\"192.0.2.100/24\"], prioriti = 3 }", "redis-ha.vrrp.prioriti: unknown key")]
    public void Bad_values_exit_2_with_one_line_naming_key_value_and_range(string hocon, string expected)
    {
        var file = Write("bad.conf", hocon);
        foreach (var command in new[] { "check-config", "run" })
        {
            var (exit, _, stderr) = RedisHa(command, "--config", file);
            Assert.Equal(2, exit);
            Assert.Contains(expected, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
        }
    }

    [Fact]
    public void An_unreadable_file_exits_2_with_one_line()
    {
        var (exit, _, stderr) = RedisHa("check-config", "--config", Path.Combine(_dir, "absent.conf"));
        Assert.Equal(2, exit);
        Assert.Contains("absent.conf: cannot read file", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_taken_cluster_port_exits_3_with_one_line_and_never_starts_the_node()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var file = Write("witness.conf", $$"""
            redis-ha {
              node { name = "w", role = witness }
              status.listen = ""
            }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@127.0.0.1:{{port}}", "akka.tcp://redis-ha@127.0.0.2:{{port}}", "akka.tcp://redis-ha@127.0.0.3:{{port}}"]
            """);
        var (exit, stdout, stderr) = RedisHa("run", "--config", file);
        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"redis-ha: cannot listen on the cluster address 127.0.0.1:{port}: Address already in use; the node does not start (it would never be eligible for MASTER)",
            stderr.Trim());
    }

    [Fact]
    public void Help_and_version_work()
    {
        var help = RedisHa("--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("run", help.Stdout);
        Assert.Contains("check-config", help.Stdout);
        var version = RedisHa("--version");
        Assert.Equal(0, version.Exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout.Trim());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
