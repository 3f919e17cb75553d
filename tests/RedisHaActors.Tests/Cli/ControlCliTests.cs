using System.Collections.Concurrent;
using System.Net;
using RedisHaActors.Configuration;
using RedisHaActors.Control;
using RedisHaActors.Status;
using RedisHaActors.Tests.Status;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// <c>redis-ha switchover</c> and <c>redis-ha promote</c> of the built executable against a loopback control API that runs
/// the node's rules (<see cref="StatusHttpServer"/> with a token), and the start-up checks of the keys.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlCliTests : IDisposable
{
    private const string TokenText = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private const UnixFileMode OwnerGroup = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-control-").FullName;
    private readonly IPEndPoint _listen = new(IPAddress.Loopback, StatusTestNode.FreePort());
    private readonly ConcurrentQueue<string> _switchovers = new();
    private readonly ConcurrentQueue<(string Action, bool Flag)> _controls = new();
    private readonly StatusHttpServer _server;

    public ControlCliTests()
    {
        _server = StatusHttpServer.Start(_listen,
            _ => Task.FromResult(new NodeStatus("n1", DateTimeOffset.UtcNow, 1, "eth0", 51, 200, ["192.0.2.100/24"], null, null, null)),
            _ => { },
            (to, _) =>
            {
                _switchovers.Enqueue(to);
                return Task.FromResult(new SwitchoverResult(true, $"switchover to {to} done"));
            },
            new Secret(TokenText),
            (action, flag, _) =>
            {
                _controls.Enqueue((action, flag));
                // As the node answers (ForcedPromotion): without the flag nothing changes and the loss is said.
                return Task.FromResult(flag
                    ? new ControlResult(true, $"{Forced}; done: this node holds the VIP and its Redis is master 812 ms after the command")
                    : new ControlResult(false, "refused without --accept-loss: nothing changed; a forced promotion would override 'its Redis has not " +
                                               "completed a sync', estimated loss 4096 bytes (master offset 4096 as last seen, own 0); " +
                                               "redis-ha promote --accept-loss takes over with that loss"));
            });
    }

    private string Write(string name, string text, UnixFileMode mode = OwnerGroup)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private string NodeFile(string token) => Write("node.conf", $$"""
        redis-ha {
          vrrp.virtual-ipaddress = ["192.0.2.100/24"]
          status { listen = "{{_listen}}", token-file = "{{Write("control.token", token + "\n")}}" }
        }
        """);

    [Fact]
    public void Switchover_sends_the_token_from_the_node_file_and_the_node_runs_it()
    {
        var (exit, stdout, stderr) = RedisHaProcess.Run("switchover", "--to", "n2", "--config", NodeFile(TokenText));
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Equal("switchover to n2 done", stdout.Trim());
        Assert.Equal(["n2"], _switchovers);
    }

    [Fact]
    public void Switchover_without_the_token_or_with_another_exits_1_with_one_line_and_changes_nothing()
    {
        var (exit, _, stderr) = RedisHaProcess.Run("switchover", "--to", "n2", "--endpoint", _listen.ToString());
        Assert.Equal(1, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("switchover refused by", stderr);
        Assert.Contains("(401)", stderr);
        Assert.Contains("pass --config", stderr);

        (exit, _, stderr) = RedisHaProcess.Run("switchover", "--to", "n2", "--config", NodeFile("0000000000000000ffffffffffffffff"));
        Assert.Equal(1, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("(403)", stderr);
        Assert.Empty(_switchovers);
    }

    private const string Forced = "operator forced promotion: overriding 'its Redis has not completed a sync', estimated loss 4096 bytes " +
                                  "(master offset 4096 as last seen, own 0)";

    [Fact]
    public void Promote_without_accept_loss_exits_1_saying_what_it_would_override_and_the_loss_and_with_it_prints_the_outcome()
    {
        var node = NodeFile(TokenText);
        var (exit, stdout, stderr) = RedisHaProcess.Run("promote", "--config", node);
        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("redis-ha: promote refused without --accept-loss: nothing changed; a forced promotion would override", line);
        Assert.Contains("estimated loss 4096 bytes (master offset 4096 as last seen, own 0)", line);

        (exit, stdout, stderr) = RedisHaProcess.Run("promote", "--accept-loss", "--config", node);
        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Equal($"{Forced}; done: this node holds the VIP and its Redis is master 812 ms after the command", stdout.Trim());
        Assert.Equal([("promote", false), ("promote", true)], _controls);

        // The same authentication as every action: no token, no promotion.
        (exit, _, stderr) = RedisHaProcess.Run("promote", "--accept-loss", "--endpoint", _listen.ToString());
        Assert.Equal(1, exit);
        Assert.Contains("promote refused by", stderr);
        Assert.Contains("(401)", stderr);
        Assert.Equal(2, _controls.Count);
    }

    [Fact]
    public void A_missing_token_file_or_an_open_listen_without_one_exits_2_naming_the_key()
    {
        var missing = Write("missing.conf", $"redis-ha {{ vrrp.virtual-ipaddress = [\"192.0.2.100/24\"], status.token-file = \"{_dir}/absent.token\" }}");
        var open = Write("open.conf", "redis-ha { vrrp.virtual-ipaddress = [\"192.0.2.100/24\"], status.listen = \"0.0.0.0:9680\" }");
        foreach (var (file, expected) in new[] { (missing, "redis-ha.status.token-file = " + _dir + "/absent.token: a file this process can read"),
                                                 (open, "redis-ha.status.token-file = \"\": required when redis-ha.status.listen (0.0.0.0:9680)") })
            foreach (var command in new[] { new[] { "check-config", "--config", file }, new[] { "run", "--config", file }, new[] { "switchover", "--to", "n2", "--config", file } })
            {
                var (exit, _, stderr) = RedisHaProcess.Run(command);
                Assert.Equal(2, exit);
                Assert.Single(stderr.Trim().Split('\n'));
                Assert.Contains(expected, stderr);
            }
        Assert.Empty(_switchovers);
    }

    [Fact]
    public void Check_config_warns_about_an_open_listen_and_a_token_file_others_may_read()
    {
        var token = Write("open.token", TokenText, OwnerGroup | UnixFileMode.OtherRead);
        var file = Write("node.conf", $"redis-ha {{ vrrp.virtual-ipaddress = [\"192.0.2.100/24\"], status {{ listen = \"0.0.0.0:9680\", token-file = \"{token}\" }} }}");
        var (exit, stdout, stderr) = RedisHaProcess.Run("check-config", "--config", file);
        Assert.Equal(0, exit);
        Assert.Contains("status http://0.0.0.0:9680 (actions with the token)", stdout);
        Assert.Contains($"warning: redis-ha.status.token-file = {token} is readable by others (mode 0644)", stderr);
        Assert.Contains("warning: redis-ha.status.listen = 0.0.0.0:9680 is not a loopback address", stderr);
        Assert.DoesNotContain(TokenText, stdout + stderr);
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
