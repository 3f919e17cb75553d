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
        using var node = new RunningNode(config);
        var witness = new Address("akka.tcp", ClusterGuardSettings.SystemName, "127.0.0.1", port);
        _other = ActorSystem.Create(ClusterGuardSettings.SystemName, ClusterConfig.For(
            new ClusterGuardSettings([], "127.0.0.1", 0, TwoVoterMode.Quorum), ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.coordinated-shutdown.run-by-actor-system-terminate = off
                """)));
        var cluster = AkkaCluster.Get(_other);
        cluster.Join(witness);
        node.Until(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, TimeSpan.FromSeconds(40), "the member joined the witness's cluster");
        cluster.Leave(witness);
        node.Until(() => node.Log.Contains("restarting its actor system to rejoin", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
            "the witness's restart line");
        Assert.Contains("this node was removed from the cluster (a member's Leave of this node)", node.Log);
        // It keeps running, a member again: its new incarnation joins its voters (here itself alone).
        node.Until(() => node.Log.Split("quorum gained").Length > 2, TimeSpan.FromSeconds(40), "the witness's new incarnation gained quorum");
        Thread.Sleep(1000);
        Assert.False(node.Process.HasExited, "the witness is still running");
    }

    public void Dispose()
    {
        _other?.Terminate().Wait(TimeSpan.FromSeconds(20));
        Directory.Delete(_dir, recursive: true);
    }
}
