using RedisHaActors.Cluster;

namespace RedisHaActors.Tests.Cluster;

/// <summary>The gossiped JSON is the same as the previous version's, so both versions understand each
/// other during a rolling upgrade.</summary>
public sealed class PeerStateWireTests
{
    // Exactly what the previous version (string fields) wrote for a data node and a witness.
    private const string OldData =
        """{"name":"n1","role":"data","clusterAddress":"akka.tcp://redis-ha@192.0.2.1:4053","vrrpAddress":"192.0.2.1","announceHost":"192.0.2.1","redisPort":6379,"vrrpState":"master","priority":200,"replOffset":500,"redisRole":"master","incarnation":17,"keys":9}""";

    private const string OldWitness =
        """{"name":"w","role":"witness","clusterAddress":"akka.tcp://redis-ha@192.0.2.3:4053","vrrpAddress":"","announceHost":"","redisPort":0,"vrrpState":"none","priority":0,"replOffset":-1,"redisRole":"none","incarnation":3,"keys":-1}""";

    [Fact]
    public void The_previous_versions_JSON_reads_into_the_enums_and_is_written_back_byte_for_byte()
    {
        var data = PeerState.FromJson(OldData)!;
        Assert.Equal(new PeerState("n1", PeerRole.Data, "akka.tcp://redis-ha@192.0.2.1:4053", "192.0.2.1", "192.0.2.1", 6379,
            PeerVrrpState.Master, 200, 500, PeerRedisRole.Master, 17, 9), data);
        Assert.Equal(OldData, data.ToJson());
        var witness = PeerState.FromJson(OldWitness)!;
        Assert.Equal((PeerRole.Witness, PeerVrrpState.None, PeerRedisRole.None), (witness.Role, witness.VrrpState, witness.RedisRole));
        Assert.Equal(OldWitness, witness.ToJson());
    }

    [Fact]
    public void The_writers_uid_travels_as_one_added_field_and_an_entry_without_it_speaks_for_any_incarnation()
    {
        var stamped = PeerState.FromJson(OldData)! with { ClusterUid = 123456789 };
        var json = stamped.ToJson();
        // The previous version ignores an unknown property, so only appending is allowed.
        Assert.Equal(OldData[..^1] + ",\"clusterUid\":123456789}", json);
        Assert.Equal(stamped, PeerState.FromJson(json));
        Assert.True(stamped.IsFrom(123456789));
        Assert.False(stamped.IsFrom(987654321), "a restarted node's new uid does not own its previous incarnation's state");
        Assert.True(PeerState.FromJson(OldData)!.IsFrom(987654321), "without a uid (previous version) there is nothing to tell");
    }

    [Fact]
    public void The_replication_ids_travel_as_added_fields_and_are_absent_from_the_previous_versions_entries()
    {
        var stamped = PeerState.FromJson(OldData)! with { ReplId = "aaaa", ReplId2 = "bbbb" };
        var json = stamped.ToJson();
        Assert.Equal(OldData[..^1] + ",\"replId\":\"aaaa\",\"replId2\":\"bbbb\"}", json);
        Assert.Equal(stamped, PeerState.FromJson(json));
        Assert.Null(PeerState.FromJson(OldData)!.ReplId);
    }

    [Theory]
    [InlineData("backup", PeerVrrpState.Backup)]
    [InlineData("fault", PeerVrrpState.Fault)]
    [InlineData("initialize", PeerVrrpState.Initialize)]
    public void Every_VRRP_state_word_of_the_previous_version_is_understood(string word, PeerVrrpState state)
    {
        Assert.Equal(state, PeerState.FromJson(OldData.Replace("\"vrrpState\":\"master\"", $"\"vrrpState\":\"{word}\""))!.VrrpState);
        Assert.Equal(PeerRedisRole.Down, PeerState.FromJson(OldData.Replace("\"redisRole\":\"master\"", "\"redisRole\":\"down\""))!.RedisRole);
        Assert.Equal(PeerRedisRole.Replica, PeerState.FromJson(OldData.Replace("\"redisRole\":\"master\"", "\"redisRole\":\"replica\""))!.RedisRole);
    }

    [Theory]
    [InlineData("\"vrrpState\":\"master\"", "\"vrrpState\":\"leader\"")]  // a word no version writes
    [InlineData("\"vrrpState\":\"master\"", "\"vrrpState\":3")]           // numbers are refused
    [InlineData("\"role\":\"data\"", "\"role\":\"observer\"")]
    public void An_unknown_value_drops_the_entry_instead_of_guessing(string from, string to)
    {
        Assert.Null(PeerState.FromJson(OldData.Replace(from, to)));
    }
}
