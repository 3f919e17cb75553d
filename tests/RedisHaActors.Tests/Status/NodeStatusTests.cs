using System.Net;
using System.Text.Json;
using Akka.TestKit.Xunit2;
using RedisHaActors.Redis;
using RedisHaActors.Status;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Status;

/// <summary><see cref="GetNodeStatus"/>: the node gathers its children's status into one <see cref="NodeStatus"/>.</summary>
public sealed class NodeStatusTests : TestKit
{
    [Fact]
    public void Node_status_gathers_VRRP_Redis_and_role_flip_state_with_the_last_transition_and_its_cause()
    {
        var node = new StatusTestNode();
        // A replica of a master that is gone: once MASTER, the node promotes it.
        node.LocalRedis.Facts = FakeRedisNode.ReplicaOf("192.0.2.9", 6379, 100);
        var actor = node.Start(Sys);

        AwaitAssert(() =>
        {
            var s = StatusTestNode.Ask(actor);
            Assert.Equal(VrrpState.Master, s.Vrrp?.State);
            Assert.Equal(RedisRole.Master, s.Redis?.Facts?.Role);
            Assert.Contains("REPLICAOF NO ONE", s.RoleFlip?.LastOutcome);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        var status = StatusTestNode.Ask(actor);
        Assert.Equal("n1", status.Node);
        Assert.Equal("eth0", status.Interface);
        Assert.Equal(51, status.VirtualRouterId);
        Assert.Equal(200, status.ConfiguredPriority);
        Assert.Equal(["192.0.2.100/24"], status.VirtualAddresses);
        Assert.True(status.UptimeSeconds >= 0);

        var vrrp = status.Vrrp!;
        Assert.Equal(200, vrrp.Priority);
        Assert.True(vrrp.Eligible);
        Assert.True(vrrp.AdvertsSent > 0);
        var last = vrrp.LastTransition!;
        Assert.Equal((VrrpState.Backup, VrrpState.Master), (last.From, last.To));
        Assert.Contains("no master heard", last.Cause);
        Assert.Equal(1, vrrp.Transitions![VrrpState.Master]);
        Assert.Equal(1, vrrp.Transitions[VrrpState.Backup]); // startup: INIT -> BACKUP

        var redis = status.Redis!;
        Assert.Equal("127.0.0.1:6379", redis.Endpoint);
        Assert.True(redis.Healthy);
        Assert.Equal(0, redis.Failures);
        Assert.Equal("", redis.LastError);
        Assert.Equal(200, redis.EffectivePriority);
        Assert.True(redis.Checks > 0);
        Assert.Equal(100, redis.Facts!.MasterReplOffset);

        var flip = status.RoleFlip!;
        Assert.Equal(DesiredRole.Master, flip.DesiredRole);
        Assert.Null(flip.Master);
        Assert.False(flip.LastOutcomeFailed);
        Assert.NotNull(flip.LastOutcomeAt);
        Assert.True(flip.Generation >= 2);
    }

    [Fact]
    public void A_failing_Redis_shows_in_the_status_with_its_error_and_the_weighted_priority()
    {
        var node = new StatusTestNode();
        node.LocalRedis.Down = true;
        var actor = node.Start(Sys);

        AwaitAssert(() => Assert.True(StatusTestNode.Ask(actor).Redis?.Failures >= 2), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        var status = StatusTestNode.Ask(actor);
        Assert.False(status.Redis!.Healthy);
        Assert.Equal("connection refused or unreachable", status.Redis.LastError);
        Assert.Equal(180, status.Redis.EffectivePriority);
        Assert.Null(status.Redis.Facts);
        Assert.Equal(VrrpState.Backup, status.Vrrp!.State);
        Assert.False(status.Vrrp.Eligible);
        Assert.Equal(DesiredRole.Replica, status.RoleFlip!.DesiredRole);
    }

    [Fact]
    public async Task A_child_that_does_not_answer_leaves_only_its_section_empty()
    {
        var vrrp = CreateTestProbe();
        var silent = CreateTestProbe();
        var flip = CreateTestProbe();
        var header = new NodeStatus("n1", DateTimeOffset.UnixEpoch, 1, "eth0", 51, 200, [], null, null, null);

        var gathering = NodeStatusGatherer.GatherAsync(header, vrrp, silent, flip, Akka.Actor.ActorRefs.Nobody, TimeSpan.FromMilliseconds(300));
        vrrp.ExpectMsg<GetVrrpStatus>();
        vrrp.Reply(new VrrpStatus(VrrpState.Backup, 200, true, IPAddress.Parse("192.0.2.2"), 0, new Dictionary<DropReason, long>()));
        silent.ExpectMsg<GetRedisStatus>();
        flip.ExpectMsg<GetRoleFlipStatus>();
        flip.Reply(new RoleFlipStatus(DesiredRole.Replica, IPAddress.Parse("192.0.2.2"), "", false, null, 1, false));
        var status = await gathering;

        Assert.Equal(VrrpState.Backup, status.Vrrp?.State);
        Assert.Null(status.Redis);
        Assert.Equal(DesiredRole.Replica, status.RoleFlip?.DesiredRole);
    }

    [Fact]
    public void Status_JSON_is_camelCase_with_enums_and_addresses_as_strings_and_reads_back()
    {
        var status = new NodeStatus("n1", new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero), 12.5, "eth0", 51, 200, ["192.0.2.100/24"],
            new VrrpStatus(VrrpState.Backup, 180, false, IPAddress.Parse("192.0.2.2"), 7,
                new Dictionary<DropReason, long> { [DropReason.VirtualRouterId] = 3 },
                new VrrpStateChange(VrrpState.Master, VrrpState.Backup, "yield: redis check failed", DateTimeOffset.UnixEpoch),
                new Dictionary<VrrpState, long> { [VrrpState.Backup] = 2, [VrrpState.Master] = 1 }),
            new RedisStatus("127.0.0.1:6379", false, 0, 2, "connection refused", 180, 9, FakeRedisNode.ReplicaOf("192.0.2.2", 6379, 42)),
            new RoleFlipStatus(DesiredRole.Replica, IPAddress.Parse("192.0.2.2"), "master -> replica of 192.0.2.2:6379 (REPLICAOF)",
                false, DateTimeOffset.UnixEpoch, 3, false));

        var json = System.Text.Encoding.UTF8.GetString(StatusJson.Serialize(status));
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("n1", root.GetProperty("node").GetString());
        Assert.Equal("backup", root.GetProperty("vrrp").GetProperty("state").GetString());
        Assert.Equal("192.0.2.2", root.GetProperty("vrrp").GetProperty("master").GetString());
        Assert.Equal(3, root.GetProperty("vrrp").GetProperty("drops").GetProperty("virtualRouterId").GetInt64());
        Assert.Equal("yield: redis check failed", root.GetProperty("vrrp").GetProperty("lastTransition").GetProperty("cause").GetString());
        Assert.Equal("master", root.GetProperty("vrrp").GetProperty("lastTransition").GetProperty("from").GetString());
        Assert.Equal(1, root.GetProperty("vrrp").GetProperty("transitions").GetProperty("master").GetInt64());
        Assert.Equal("replica", root.GetProperty("redis").GetProperty("facts").GetProperty("role").GetString());
        Assert.Equal(42, root.GetProperty("redis").GetProperty("facts").GetProperty("masterReplOffset").GetInt64());
        Assert.Equal(180, root.GetProperty("redis").GetProperty("effectivePriority").GetInt32());
        Assert.Equal("replica", root.GetProperty("roleFlip").GetProperty("desiredRole").GetString());

        var back = StatusJson.Deserialize(json);
        Assert.Equal(status.Vrrp!.LastTransition, back.Vrrp!.LastTransition);
        Assert.Equal(3, back.Vrrp.Drops[DropReason.VirtualRouterId]);
        Assert.Equal(2, back.Vrrp.Transitions![VrrpState.Backup]);
        Assert.Equal(status.Redis, back.Redis);
        Assert.Equal(status.RoleFlip, back.RoleFlip);
        Assert.Equal(status.VirtualAddresses, back.VirtualAddresses);
    }
}
