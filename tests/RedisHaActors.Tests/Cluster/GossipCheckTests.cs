using RedisHaActors.Cluster;

namespace RedisHaActors.Tests.Cluster;

/// <summary><see cref="GossipCheck"/>: only a configured voter's entry, under its own name, with every value in range.</summary>
public sealed class GossipCheckTests
{
    private const string VoterA = "akka.ssl.tcp://redis-ha@192.0.2.1:4053";
    private const string VoterW = "akka.ssl.tcp://redis-ha@192.0.2.3:4053";
    private static readonly IReadOnlySet<string> Voters = new HashSet<string> { VoterA, VoterW };

    private static readonly PeerState Data = new("n1", PeerRole.Data, VoterA, "192.0.2.1", "192.0.2.1", 6379, PeerVrrpState.Master, 200, 10, PeerRedisRole.Master, 5, 3);
    private static readonly PeerState Witness = new("w", PeerRole.Witness, VoterW, "", "", 0, PeerVrrpState.None, 0, -1, PeerRedisRole.None, 1);

    private static GossipDrop? Drop(string key, PeerState s)
    {
        GossipCheck.Check(key, s.ToJson(), Voters, out var drop);
        return drop;
    }

    [Fact]
    public void A_voters_data_and_witness_entries_count()
    {
        Assert.Equal(Data, GossipCheck.Check("n1", Data.ToJson(), Voters, out var drop));
        Assert.Null(drop);
        Assert.Null(Drop("w", Witness));
        Assert.Null(Drop("n1", Data with { Priority = 0 }));
        Assert.Null(Drop("n1", Data with { Priority = 255, VrrpAddress = "", ReplOffset = -1, Keys = -1 }));
    }

    [Fact]
    public void A_non_voter_another_name_or_malformed_JSON_is_dropped()
    {
        Assert.Equal(GossipDrop.NotVoter, Drop("n1", Data with { ClusterAddress = "akka.ssl.tcp://redis-ha@192.0.2.9:4053" }));
        // The plain scheme is another address: a node of a plain-TCP set does not count in a TLS one.
        Assert.Equal(GossipDrop.NotVoter, Drop("n1", Data with { ClusterAddress = "akka.tcp://redis-ha@192.0.2.1:4053" }));
        Assert.Equal(GossipDrop.NameMismatch, Drop("n2", Data));
        Assert.Null(GossipCheck.Check("n1", "{\"name\":", Voters, out var drop));
        Assert.Equal(GossipDrop.Malformed, drop);
        Assert.Null(GossipCheck.Check("n1", Data.ToJson().Replace("\"master\"", "\"overlord\"", StringComparison.Ordinal), Voters, out drop));
        Assert.Equal(GossipDrop.Malformed, drop);
    }

    [Theory]
    [InlineData(-1, 6379, 0L, "192.0.2.1")]
    [InlineData(256, 6379, 0L, "192.0.2.1")]
    [InlineData(900, 6379, 0L, "192.0.2.1")]
    [InlineData(200, 0, 0L, "192.0.2.1")]
    [InlineData(200, 70000, 0L, "192.0.2.1")]
    [InlineData(200, 6379, -2L, "192.0.2.1")]
    [InlineData(200, 6379, 0L, "not-an-address")]
    [InlineData(200, 6379, 0L, "2001:db8::1")]
    public void Values_out_of_range_are_dropped(int priority, int port, long offset, string vrrpAddress) =>
        Assert.Equal(GossipDrop.OutOfRange, Drop("n1", Data with { Priority = priority, RedisPort = port, ReplOffset = offset, VrrpAddress = vrrpAddress }));

    [Fact]
    public void Role_and_states_must_go_together()
    {
        Assert.Equal(GossipDrop.OutOfRange, Drop("w", Witness with { VrrpState = PeerVrrpState.Master }));
        Assert.Equal(GossipDrop.OutOfRange, Drop("w", Witness with { Priority = 254 }));
        Assert.Equal(GossipDrop.OutOfRange, Drop("n1", Data with { VrrpState = PeerVrrpState.None }));
        Assert.Equal(GossipDrop.OutOfRange, Drop("n1", Data with { Incarnation = -5 }));
        Assert.Equal(GossipDrop.OutOfRange, Drop("n1", Data with { AnnounceHost = new string('h', 300) }));
    }
}
