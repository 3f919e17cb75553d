using System.Diagnostics;
using System.Net;
using System.Text;
using RedisHaActors.Tests.Status;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// A running node (the built executable, cluster guard on loopback, VRRP on an absent interface so
/// nothing touches the network) with the Redis password in its file and Akka told to print its whole
/// configuration: the password and the control token appear in neither its output nor its status.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretsCliTests : IDisposable
{
    private const string Password = "pw-SENTINEL-45";
    private const string TokenText = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-secrets-cli-").FullName;

    [Theory]
    [InlineData("data")]
    [InlineData("witness")]
    public async Task The_password_and_token_reach_neither_Akka_printed_config_nor_logs_nor_status(string role)
    {
        var token = Path.Combine(_dir, "control.token");
        File.WriteAllText(token, TokenText + "\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var listen = new IPEndPoint(IPAddress.Loopback, StatusTestNode.FreePort());
        var clusterPort = StatusTestNode.FreePort();
        var redisPort = StatusTestNode.FreePort(); // nothing listens: every check fails and is logged
        var config = Path.Combine(_dir, "node.conf");
        File.WriteAllText(config, $$"""
            redis-ha {
              node { name = "s1", role = {{role}} }
              vrrp { interface = "rhnosuch0", virtual-ipaddress = ["192.0.2.100/24"] }
              redis { port = {{redisPort}}, password = "{{Password}}", announce-host = "192.0.2.1", check { interval = 200ms, timeout = 200ms } }
              status { listen = "{{listen}}", token-file = "{{token}}" }
            }
            akka.log-config-on-start = on
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{clusterPort}} }
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@127.0.0.1:{{clusterPort}}"]
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var node = new RunningNode(config);
        var p = node.Process;
        var status = "";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !p.HasExited)
        {
            try
            {
                status = await Http.GetStringAsync($"http://{listen}/status");
                var root = System.Text.Json.JsonDocument.Parse(status).RootElement;
                if (root.GetProperty("cluster").ValueKind == System.Text.Json.JsonValueKind.Object
                    && (role == "witness" || root.GetProperty("redis").GetProperty("failures").GetInt32() > 2))
                    break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        await Task.Delay(1000); // a few more failed checks logged
        node.Signal("TERM");
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "the node stopped after SIGTERM");
        p.WaitForExit(); // drains the output readers
        var log = node.Log;
        Assert.Equal("s1", System.Text.Json.JsonDocument.Parse(status).RootElement.GetProperty("node").GetString());
        // Akka printed its configuration: its own keys, with the node file's akka section...
        Assert.Contains("log-config-on-start", log);
        Assert.Contains("seed-nodes", log);
        // ... and nothing of redis-ha.
        Assert.DoesNotContain("SENTINEL", log);
        Assert.DoesNotContain(TokenText, log);
        Assert.DoesNotContain("token-file", log);
        Assert.DoesNotContain("SENTINEL", status);
        Assert.DoesNotContain(TokenText, status);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
