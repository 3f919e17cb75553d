using RedisHaActors.Tests.Status;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// SIGHUP reaches a running node even when the process that started it ignored SIGHUP (nohup, some supervisors):
/// .NET installs no handler for an inherited SIG_IGN, and a reload signal was dropped with no trace (a lab run under
/// nohup lost every <c>kill -HUP</c>). A witness on loopback, its own only voter, refuses the reload in its log.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HangupCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-hangup-").FullName;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_SIGHUP_reaches_the_node_even_when_its_parent_ignored_SIGHUP(bool parentIgnores)
    {
        var port = StatusTestNode.FreePort();
        var config = Path.Combine(_dir, "w.conf");
        File.WriteAllText(config, $$"""
            redis-ha {
              node { name = "w", role = witness }
              status.listen = ""
            }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@127.0.0.1:{{port}}"]
            """);
        using var node = new RunningNode(config, parentIgnores ? "trap '' HUP;" : "");
        node.Until(() => node.Log.Contains("quorum gained", StringComparison.Ordinal), TimeSpan.FromSeconds(40), "the witness is up");
        node.Signal("HUP");
        node.Until(() => node.Log.Contains("reload refused: a witness applies no key at runtime", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the witness's answer to SIGHUP");
        Assert.Equal(parentIgnores, node.Log.Contains("SIGHUP was ignored by the process that started this node", StringComparison.Ordinal));
        Thread.Sleep(500);
        Assert.False(node.Process.HasExited, "the witness is still running");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
