using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Two data nodes and a witness with the cluster guard on, whose coordinator reaches Redis as an ACL
/// user that may not run CONFIG (or with CONFIG renamed away): the start-up check says so in one line
/// and in status, and a failover still completes with no acknowledged write lost where the old master
/// answers (its Redis is re-pointed with REPLICAOF although CONFIG SET masterauth is refused).
/// Replication has its own user, set in redis.conf by the operator (masteruser/masterauth). The
/// default user stays open so that the lab's writer and redis-cli need no password.
/// Only Redis 7.0 is tested: Debian 12 ships no 6.2.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class LeastPrivilegeLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private const string Auth = "redis-ha.redis { user = \"ha\", password = \"ha-pw\" }\n";

    // The coordinator's user: everything but CONFIG; the replication user: what a replica sends its master.
    private static readonly string[] Users =
    [
        "--user", "ha", "on", ">ha-pw", "+@all", "-config", "~*", "&*",
        "--user", "repl", "on", ">repl-pw", "+psync", "+replconf", "+ping",
        "--masteruser", "repl", "--masterauth", "repl-pw",
    ];

    [Theory]
    [InlineData("acl")]     // user ha lacks +config
    [InlineData("renamed")] // rename-command CONFIG ""
    public void Without_CONFIG_the_node_says_what_it_cannot_fence_and_a_killed_master_node_fails_over_without_loss(string kind)
    {
        using var lab = new NamespaceLab(3);
        try
        {
            string[] redisArgs = kind == "acl" ? Users : [.. Users, "--rename-command", "CONFIG", "\"\""];
            lab.StartRedis(1, redisArgs);
            lab.StartRedis(2, redisArgs);
            lab.StartNode(1, 200, preempt: true, extra: Auth + lab.ClusterHocon(1, voters: 3, witness: false));
            lab.StartNode(2, 190, preempt: true, extra: Auth + lab.ClusterHocon(2, voters: 3, witness: false));
            lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master"
                                && lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"),
                Limit, "n1 holds the VIP over the master Redis and n2's Redis synced from it (the operator's masterauth)");

            // One line at start on each data node, and status does not claim the self-fence.
            lab.WaitUntil(() => lab.NodeLog(1).Contains("may not run CONFIG SET: the min-replicas self-fence is off", StringComparison.Ordinal),
                Limit, "n1 says what its Redis user may not run");
            Assert.Contains(kind == "acl" ? "grant +config|set" : "undo rename-command CONFIG", lab.NodeLog(1));
            var (exit, status, _) = lab.RedisHaCli(1, "status");
            Assert.True(exit == 0, $"status exited {exit}");
            Assert.Contains("UNAVAILABLE: min-replicas self-fence off (CONFIG SET refused)", status);
            // Never tried again every few seconds: said once.
            Assert.DoesNotContain("cannot set min-replicas-to-write", lab.NodeLog(1));

            using var writer = VipWriter.Start(lab);
            Thread.Sleep(1000);
            var killed = Stopwatch.StartNew();
            lab.KillNode(1); // kill -9 of redis-ha only: n1's Redis runs on as a master
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", Limit, "n2 holds the VIP over a master Redis");
            var takeover = killed.Elapsed;
            // n1's Redis answers: paused, caught up with, and re-pointed although its CONFIG is refused.
            lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2", Limit, "n1's Redis re-pointed to n2 without CONFIG");
            lab.WaitUntil(() => lab.WriteThroughVip("after-failover", "1") == "OK", TimeSpan.FromSeconds(10), "the new master writable through the VIP");
            Thread.Sleep(1000);
            var (acked, outage, readOnly) = writer.Stop();
            var (_, lost) = writer.Verify(2);
            output.WriteLine($"{kind}: VIP on n2 {takeover.TotalSeconds:0.00} s after the kill; acked {acked}, longest outage {outage} ms, READONLY {readOnly}, lost {lost}");
            Assert.True(acked > 100, $"the writer got {acked} acks");
            Assert.True(lost == 0, $"{lost} acked writes lost\n{lab.AllLogs()}");
            Assert.True(takeover < TimeSpan.FromSeconds(15), $"the VIP moved only after {takeover.TotalSeconds:0.0} s");
            var log2 = lab.NodeLog(2);
            Assert.Contains("caught up with old master 192.0.2.1 at offset", log2, StringComparison.Ordinal);
            Assert.Contains("REPLICAOF sent without it", log2, StringComparison.Ordinal);
            Assert.DoesNotContain("role change failed", log2, StringComparison.Ordinal);
        }
        finally
        {
            output.WriteLine(lab.AllLogs());
        }
    }
}
