using RedisHaActors.Redis;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Redis;

public sealed class StrayMasterSweepTests
{
    [Fact]
    public async Task A_stray_master_whose_clients_cannot_be_dropped_is_still_reported_fenced()
    {
        var stray = new FakeRedisNode("192.0.2.9:6379") { Facts = FakeRedisNode.Master(5) };
        stray.Failing["CLIENT UNPAUSE"] = true; // e.g. a user without +client|unpause
        var lines = await StrayMasterSweep.RunAsync([("192.0.2.9", 6379, stray)], "192.0.2.2", 6379, TimeSpan.FromSeconds(1));
        Assert.Equal(["REPLICAOF 192.0.2.2 6379"], stray.Commands);
        var line = Assert.Single(lines);
        Assert.StartsWith("fenced stray master 192.0.2.9:6379", line);
        Assert.Contains("could not drop its clients", line);
    }

    [Fact]
    public async Task A_masterauth_note_is_logged_with_the_fence()
    {
        var stray = new FakeRedisNode("192.0.2.9:6379") { Facts = FakeRedisNode.Master(5), ReplicaOfNote = "CONFIG GET masteruser refused" };
        var lines = await StrayMasterSweep.RunAsync([("192.0.2.9", 6379, stray)], "192.0.2.2", 6379, TimeSpan.FromSeconds(1));
        Assert.Equal(["CONFIG GET masteruser refused", "fenced stray master 192.0.2.9:6379 (its coordinator is not in the cluster): REPLICAOF 192.0.2.2 6379, clients disconnected"], lines);
    }
}
