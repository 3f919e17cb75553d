using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Tests.Status;
using AkkaCluster = Akka.Cluster.Cluster;
using MemberStatus = Akka.Cluster.MemberStatus;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// Removal by another member: a running redis-ha process (a witness, its own only voter, on loopback) that another
/// member makes leave restarts its membership instead of exiting 0 (which the service manager would not restart).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MembershipCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-membership-").FullName;
    private ActorSystem? _other;

    [Fact]
    public void A_node_made_to_leave_by_another_member_restarts_its_membership_and_keeps_running()
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
        var output = new StringBuilder();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { RedisHaProcess.Dll, "run", "--config", config }) psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            var witness = new Address("akka.tcp", ClusterGuardSettings.SystemName, "127.0.0.1", port);
            _other = ActorSystem.Create(ClusterGuardSettings.SystemName, ClusterConfig.For(
                new ClusterGuardSettings([], "127.0.0.1", 0, TwoVoterMode.Quorum), ConfigurationFactory.ParseString("""
                    akka.loglevel = WARNING
                    akka.coordinated-shutdown.run-by-actor-system-terminate = off
                    """)));
            var cluster = AkkaCluster.Get(_other);
            cluster.Join(witness);
            Until(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, TimeSpan.FromSeconds(40), "the member joined the witness's cluster", p, output);
            cluster.Leave(witness);
            Until(() => Log(output).Contains("restarting its actor system to rejoin", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                "the witness's restart line", p, output);
            Assert.Contains("this node was removed from the cluster (a member's Leave of this node)", Log(output));
            // It keeps running, a member again: its new incarnation joins its voters (here itself alone).
            Until(() => Log(output).Split("quorum gained").Length > 2, TimeSpan.FromSeconds(40), "the witness's new incarnation gained quorum", p, output);
            Thread.Sleep(1000);
            Assert.False(p.HasExited, "the witness is still running");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    private static string Log(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static void Until(Func<bool> condition, TimeSpan max, string what, Process p, StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (p.HasExited) Assert.Fail($"{what}: the witness exited with {p.ExitCode}; its log:\n{Log(output)}");
            if (clock.Elapsed > max) Assert.Fail($"{what}: not seen within {max.TotalSeconds} s; the witness's log:\n{Log(output)}");
            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        _other?.Terminate().Wait(TimeSpan.FromSeconds(20));
        Directory.Delete(_dir, recursive: true);
    }
}
