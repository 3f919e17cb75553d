using System.Net;
using System.Text.Json;
using Akka.TestKit.Xunit2;
using RedisHaActors.Tests.Lab;
using RedisHaActors.Tests.Status;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Cli;

/// <summary><c>redis-ha status</c> of the built executable, against a node on fakes or against nothing.</summary>
public sealed class StatusCliTests : TestKit, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-status-").FullName;

    private static (int Exit, string Stdout, string Stderr) RedisHa(params string[] args) => RedisHaProcess.Run(args);

    [Fact]
    public void Status_with_nothing_listening_exits_3_with_one_line()
    {
        var port = StatusTestNode.FreePort();
        var (exit, stdout, stderr) = RedisHa("status", "--endpoint", $"127.0.0.1:{port}");
        Assert.Equal(3, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"no status endpoint answers at http://127.0.0.1:{port}/status", stderr);
    }

    [Fact]
    public void Status_prints_a_summary_or_the_raw_JSON_of_a_running_node_found_by_endpoint_or_config()
    {
        var node = new StatusTestNode();
        var listen = new IPEndPoint(IPAddress.Loopback, StatusTestNode.FreePort());
        var actor = node.Start(Sys, listen);
        AwaitAssert(() => Assert.Equal(VrrpState.Master, StatusTestNode.Ask(actor).Vrrp?.State), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        node.Transport.Inject([0x45]);
        AwaitAssert(() => Assert.Equal(1, StatusTestNode.Ask(actor).Vrrp?.Drops.GetValueOrDefault(DropReason.Length)),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));

        var summary = RedisHa("status", "--endpoint", listen.ToString());
        Assert.Equal(0, summary.Exit);
        Assert.Equal("", summary.Stderr);
        Assert.Contains("node n1", summary.Stdout);
        Assert.Contains("vrrp:   MASTER since", summary.Stdout);
        Assert.Contains("BACKUP -> MASTER: no master heard", summary.Stdout);
        Assert.Contains("priority 200 (configured 200), eligible", summary.Stdout);
        Assert.Contains("vip 192.0.2.100/24 held", summary.Stdout);
        Assert.Contains("drops: length 1", summary.Stdout);
        Assert.Contains("redis:  127.0.0.1:6379 healthy", summary.Stdout);
        Assert.Contains("master, offset 0", summary.Stdout);
        Assert.Contains("flip:   wants master", summary.Stdout);

        var config = Path.Combine(_dir, "node.conf");
        File.WriteAllText(config, $"redis-ha {{ vrrp.virtual-ipaddress = [\"192.0.2.100/24\"], status.listen = \"{listen}\" }}");
        var json = RedisHa("status", "--config", config, "--json");
        Assert.Equal(0, json.Exit);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("master", root.GetProperty("vrrp").GetProperty("state").GetString());
        Assert.Equal(1, root.GetProperty("vrrp").GetProperty("drops").GetProperty("length").GetInt64());
    }

    [Fact]
    public void Status_refuses_a_malformed_endpoint_and_a_config_with_the_endpoint_off()
    {
        var bad = RedisHa("status", "--endpoint", "localhost");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("--endpoint localhost: expected an address:port like 127.0.0.1:9680", bad.Stderr);

        var config = Path.Combine(_dir, "off.conf");
        File.WriteAllText(config, "redis-ha { vrrp.virtual-ipaddress = [\"192.0.2.100/24\"], status.listen = \"\" }");
        var off = RedisHa("status", "--config", config);
        Assert.Equal(3, off.Exit);
        Assert.Single(off.Stderr.Trim().Split('\n'));
        Assert.Contains("the status endpoint is off", off.Stderr);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Directory.Delete(_dir, recursive: true);
        base.Dispose(disposing);
    }
}
