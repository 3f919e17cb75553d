using System.Diagnostics;
using RedisHaActors.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Two data nodes and a witness with the cluster guard on, whose coordinator reaches Redis as the
/// documented least-privilege ACL user (<see cref="RedisPermissions.CoordinatorAcl"/>), that user without
/// CONFIG, or with CONFIG renamed away: the start-up check says in one line and in status what is
/// missing, and a failover still completes with no acknowledged write lost where the old master answers
/// (its Redis is re-pointed with REPLICAOF even when CONFIG is refused).
/// Replication has its own user, set in redis.conf by the operator (masteruser/masterauth). The
/// default user stays open so that the lab's writer and redis-cli need no password.
/// The rules are Redis 6.2 and 7.x syntax (they add subcommands, never remove one: 6.2 cannot); CI runs Debian 12's
/// 7.0, bench/redis-versions.sh another build (6.2).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class LeastPrivilegeLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private const string Auth = "redis-ha.redis { user = \"ha\", password = \"ha-pw\" }\n";

    // The coordinator's user (the documented ACL, or it without CONFIG) and the replication user, which
    // both redis.conf name as masteruser (the operator's job; the coordinator keeps it).
    private static string[] Users(bool config)
    {
        var rules = RedisPermissions.CoordinatorAcl.Split(' ').Where(r => config || !r.StartsWith("+config", StringComparison.Ordinal));
        return
        [
            "--user", "ha", "on", ">ha-pw", .. rules,
            "--user", "repl", "on", ">repl-pw", .. RedisPermissions.ReplicationAcl.Split(' '),
            "--masteruser", "repl", "--masterauth", "repl-pw",
        ];
    }

    [Theory]
    [InlineData("least")]   // exactly the documented ACL
    [InlineData("acl")]     // it without +config|set +config|get
    [InlineData("renamed")] // rename-command CONFIG ""
    public void A_least_privilege_user_fails_over_without_loss_and_without_CONFIG_says_what_it_cannot_fence(string kind)
    {
        using var lab = new NamespaceLab(3, output);
        try
        {
            string[] redisArgs = kind switch
            {
                "least" => Users(config: true),
                "acl" => Users(config: false),
                _ => [.. Users(config: false), "--rename-command", "CONFIG", "\"\""],
            };
            lab.StartRedis(1, redisArgs);
            lab.StartRedis(2, redisArgs);
            lab.StartNode(1, 200, preempt: true, extra: Auth + lab.ClusterHocon(1, voters: 3, witness: false));
            lab.StartNode(2, 190, preempt: true, extra: Auth + lab.ClusterHocon(2, voters: 3, witness: false));
            lab.StartNode(3, priority: 100, preempt: true, extra: lab.ClusterHocon(3, voters: 3, witness: true));
            lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]) && lab.Role(1) == "master"
                                && lab.RedisCli(2, "info", "replication").Contains("master_link_status:up"),
                Limit, "n1 holds the VIP over the master Redis and n2's Redis synced from it (the operator's masterauth)");

            var (exit, status, _) = lab.RedisHaCli(1, "status");
            Assert.True(exit == 0, $"status exited {exit}");
            if (kind == "least")
            {
                // Everything it needs: the self-fence is kept, nothing claimed missing.
                lab.WaitUntil(() => lab.NodeLog(1).Contains("redis user 'ha' may run every command the coordinator uses", StringComparison.Ordinal),
                    Limit, "n1's permission check passed");
                lab.WaitUntil(() => lab.NodeLog(1).Contains("min-replicas-to-write 1", StringComparison.Ordinal), Limit, "n1's Redis at min-replicas-to-write 1");
                Assert.DoesNotContain("UNAVAILABLE", status);
            }
            else
            {
                // One line at start on each data node, and status does not claim the self-fence.
                lab.WaitUntil(() => lab.NodeLog(1).Contains("may not run CONFIG SET, CONFIG GET: the min-replicas self-fence is off", StringComparison.Ordinal),
                    Limit, "n1 says what its Redis user may not run");
                Assert.Contains(kind == "acl" ? "grant +config|set +config|get" : "undo rename-command CONFIG", lab.NodeLog(1));
                Assert.Contains("UNAVAILABLE: min-replicas self-fence off (CONFIG SET refused)", status);
                // Never tried again every few seconds: said once.
                Assert.DoesNotContain("cannot set min-replicas-to-write", lab.NodeLog(1));
            }

            using var writer = VipWriter.Start(lab);
            Thread.Sleep(1000);
            var killed = Stopwatch.StartNew();
            var mark = lab.LogMark();
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
            new FaultFigure($"case2-redis-{kind}", "guard-on") { Lost = lost, Acked = acked, OutageMs = outage }.CountedSince(lab, mark).Print(output);
            Assert.True(acked > 100, $"the writer got {acked} acks");
            Assert.True(lost == 0, $"{lost} acked writes lost\n{lab.AllLogs()}");
            Assert.True(takeover < TimeSpan.FromSeconds(15), $"the VIP moved only after {takeover.TotalSeconds:0.0} s");
            var log2 = lab.NodeLog(2);
            Assert.Contains("caught up with old master 192.0.2.1 at offset", log2, StringComparison.Ordinal);
            if (kind == "least")
            {
                Assert.DoesNotContain("REPLICAOF sent without it", log2, StringComparison.Ordinal);
                // The documented ACL is enough: neither Redis denied anything the coordinators sent.
                foreach (var node in new[] { 1, 2 })
                    Assert.True(lab.RedisCli(node, "acl", "log").Trim().Length == 0, $"n{node}'s Redis denied: {lab.RedisCli(node, "acl", "log")}");
            }
            else Assert.Contains("REPLICAOF sent without it", log2, StringComparison.Ordinal);
            Assert.DoesNotContain("role change failed", log2, StringComparison.Ordinal);
        }
        finally
        {
        }
    }
}
