using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Issue 12, "Cluster transport with mutual TLS": the project's own binary, configured with the set's seed list,
/// tries to join a running TLS set, once with a certificate from another CA (n4) and once without TLS (n5). Neither
/// becomes a member, so neither can gossip a state or make a node leave: the master keeps the VIP, membership
/// stays the three voters, and the refusals are counted (<c>tlsRefused</c>) and logged.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class RogueNodeLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(40);

    /// <summary>How long the rogues keep trying while the set is watched: several of Akka's join retries (2 s) and probes.</summary>
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(15);

    [Fact]
    public void A_node_with_another_CAs_certificate_or_without_TLS_changes_nothing_and_is_counted()
    {
        using var lab = new NamespaceLab(5, output);
        try
        {
            BootSet(lab);
            var before = Members(lab, 1);
            Assert.All(before, m => Assert.StartsWith("akka.ssl.tcp://redis-ha@192.0.2.", m, StringComparison.Ordinal));

            // n4: the project's binary with a certificate from another CA (and that CA as its trust). n5: no TLS.
            var rogueCa = lab.Certificates(4, "rogue");
            lab.StartNode(4, priority: 100, preempt: false, extra: LabConfig.ClusterHocon(4, voters: 3, witness: true, tlsDir: rogueCa));
            lab.StartNode(5, priority: 100, preempt: false, extra: lab.ClusterHocon(5, voters: 3, witness: true, tls: false));
            var until = DateTime.UtcNow + Watch;
            while (DateTime.UtcNow < until)
            {
                Assert.Equal([1], lab.VipHolders());
                Thread.Sleep(500);
            }
            // Both rogues keep trying: a refused handshake is a failed association on either side (ClusterTlsTransport), so
            // not even the other CA's node stops (Akka's own TLS transport stopped it, exit code 79).
            Assert.True(lab.NodeRunning(5), "the plain-TCP rogue kept trying");
            Assert.True(lab.NodeRunning(4), $"the other CA's rogue kept trying (exited {lab.NodeExitCode(4)})");
            foreach (var node in new[] { 1, 2, 3 })
                Assert.Equal(before, Members(lab, node));
            Assert.Equal("master", lab.Role(1));
            Assert.Equal("slave", lab.Role(2));
            // Counted and logged where they knocked (the voters they tried to join).
            var refused = new[] { 1, 2, 3 }.Select(n => (Node: n, Refused: TlsRefused(lab, n))).ToArray();
            output.WriteLine("tls refused per voter: " + string.Join(", ", refused.Select(r => $"n{r.Node} {r.Refused}")));
            Assert.True(refused.Sum(r => r.Refused) > 0, "the other CA's certificate was refused and counted");
            // The plain-TCP rogue's attempts: failed handshakes, counted as such.
            var failed = new[] { 1, 2, 3 }.Select(n => Status(lab, n).GetProperty("cluster").GetProperty("tlsHandshakesFailed").GetInt64()).ToArray();
            output.WriteLine("tls handshakes failed per voter: " + string.Join(", ", failed.Select((f, i) => $"n{i + 1} {f}")));
            Assert.True(failed.Sum() > 0, "the plain-TCP rogue's attempts were counted as failed handshakes");
            Assert.Contains("counted as cluster handshakes failed", lab.NodeLog(1) + lab.NodeLog(2) + lab.NodeLog(3));
            Assert.Contains("cluster TLS: refused", lab.NodeLog(1) + lab.NodeLog(2) + lab.NodeLog(3));
            foreach (var n in new[] { 1, 4, 5 })
                foreach (var line in lab.NodeLog(n).Split('\n').Where(l => l.Contains("192.0.2.4", StringComparison.Ordinal) || l.Contains("192.0.2.5", StringComparison.Ordinal)
                                                                            || l.Contains("TLS", StringComparison.Ordinal) || l.Contains("SSL", StringComparison.Ordinal)).Take(6))
                    output.WriteLine($"n{n}: {line}");
            Assert.DoesNotContain("quorum gained", lab.NodeLog(4));
            Assert.DoesNotContain("quorum gained", lab.NodeLog(5));
        }
        catch
        {
            output.WriteLine(lab.AllLogs());
            throw;
        }
    }

    /// <summary>
    /// Issue 12, the other direction: the nodes dial the impostor. Voter n3 (the witness) dies and the project's binary
    /// with another CA's certificate takes its address (a cluster of its own: it dials nobody, it only answers). n1 and n2
    /// keep dialing n3's address (heartbeats to an unreachable member) until the split-brain resolver removes n3, and
    /// every such handshake fails: they refuse the impostor's certificate (and it refuses theirs). Nothing may change:
    /// both honest processes keep running, n1 keeps the VIP and its master, and the refusals are counted where they
    /// happened (the dialing side too).
    /// </summary>
    [Fact]
    public void An_impostor_at_a_dead_voters_address_changes_nothing_for_the_nodes_that_dial_it()
    {
        using var lab = new NamespaceLab(3, output);
        try
        {
            BootSet(lab);

            lab.KillNode(3);
            var rogueCa = lab.Certificates(3, "rogue");
            var impostor = LabConfig.ClusterHocon(3, voters: 3, witness: true, tlsDir: rogueCa)
                           + $"akka.cluster.seed-nodes = [\"akka.tcp://redis-ha@192.0.2.3:{LabConfig.AkkaPort}\"]\n";
            lab.StartNode(3, priority: 100, preempt: false, extra: impostor);

            // Watched past the resolver's removal of n3 (about 1.5 s unreachable + 7 s stable), while n1 and n2 dial it.
            var timeline = new List<string>();
            var until = DateTime.UtcNow + ImpostorWatch;
            for (var i = 0; i < 200 && DateTime.UtcNow < until; i++)
            {
                timeline.Add($"{DateTime.UtcNow:HH:mm:ss.f} vip [{string.Join(',', lab.VipHolders())}] n1 {Liveness(lab, 1)} n2 {Liveness(lab, 2)}");
                Thread.Sleep(500);
            }
            output.WriteLine(string.Join("\n", timeline));
            Assert.True(lab.NodeRunning(1), $"n1 (master) kept running (exited {lab.NodeExitCode(1)})");
            Assert.True(lab.NodeRunning(2), $"n2 kept running (exited {lab.NodeExitCode(2)})");
            Assert.All(timeline, t => Assert.Contains("vip [1] n1 up n2 up", t, StringComparison.Ordinal));
            Assert.Equal("master", lab.Role(1));
            Assert.Equal("slave", lab.Role(2));
            var refused = TlsRefused(lab, 1) + TlsRefused(lab, 2);
            output.WriteLine($"tls refused by n1 and n2: {refused}");
            Assert.True(refused > 0, "the impostor's certificate was refused and counted by the nodes that dialed it");
            Assert.DoesNotContain(Members(lab, 1), x => x.Contains("192.0.2.3", StringComparison.Ordinal) && x.EndsWith(" up", StringComparison.Ordinal));
        }
        catch
        {
            output.WriteLine(lab.AllLogs());
            throw;
        }
    }

    /// <summary>Long enough for n3's removal by the resolver and some dialing after it.</summary>
    private static readonly TimeSpan ImpostorWatch = TimeSpan.FromSeconds(20);

    private static string Liveness(NamespaceLab lab, int node) => lab.NodeRunning(node) ? "up" : $"exited {lab.NodeExitCode(node)}";

    /// <summary>
    /// The set: n1 (priority 200) master with the VIP, n3 the witness, then n2 (190) its replica; returns once all three
    /// are members and Up (a member still "joining" turns Up within a gossip round and would differ in a later snapshot).
    /// </summary>
    private static void BootSet(NamespaceLab lab)
    {
        lab.StartRedis(1);
        lab.StartRedis(2);
        lab.StartNode(1, 200, preempt: false, extra: lab.ClusterHocon(1, voters: 3, witness: false));
        lab.StartNode(3, priority: 100, preempt: false, extra: lab.ClusterHocon(3, voters: 3, witness: true));
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master", Limit, "n1 holds the VIP over the master Redis");
        lab.StartNode(2, 190, preempt: false, extra: lab.ClusterHocon(2, voters: 3, witness: false));
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(2) == "slave"
                            && Members(lab, 1) is { Length: 3 } m && m.All(x => x.EndsWith(" up", StringComparison.Ordinal)), Limit,
            "n2 joined as n1's replica; three members up");
    }

    private static string[] Members(NamespaceLab lab, int node)
    {
        var cluster = Status(lab, node).GetProperty("cluster");
        return cluster.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).Order(StringComparer.Ordinal).ToArray();
    }

    private static long TlsRefused(NamespaceLab lab, int node) =>
        Status(lab, node).GetProperty("cluster").GetProperty("tlsRefused").GetInt64();

    private static JsonElement Status(NamespaceLab lab, int node)
    {
        var (exit, stdout, stderr) = lab.RedisHaCli(node, "status", "--json");
        Assert.True(exit == 0, $"n{node} status exited {exit}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement;
    }
}
