using System.Text.Json;
using System.Text.Json.Serialization;

namespace RedisHaActors.Cluster;

/// <summary>
/// One node's public state, as gossiped through Akka Distributed Data (an LWW map keyed by
/// node name, values as JSON so no custom Akka serializer is needed). Immutable.
/// </summary>
/// <param name="Name">redis-ha.node.name.</param>
/// <param name="Role">"data" or "witness".</param>
/// <param name="ClusterAddress">Akka address (<c>akka.tcp://redis-ha@host:port</c>), to match membership.</param>
/// <param name="VrrpAddress">Primary IPv4 address on the VRRP interface (advert source); empty for a witness.</param>
/// <param name="AnnounceHost">How peers reach this node's Redis.</param>
/// <param name="RedisPort">Its Redis port.</param>
/// <param name="VrrpState">"master", "backup", "fault" or "initialize".</param>
/// <param name="Priority">Effective VRRP priority, 0..254.</param>
/// <param name="ReplOffset">The local Redis' replication offset (<c>master_repl_offset</c> or the replica's processed offset), bytes; -1 unknown.</param>
/// <param name="RedisRole">"master", "replica" or "down".</param>
/// <param name="Incarnation">Increases with every update from that node, so observers can tell fresh from stale.</param>
/// <param name="Keys">Keys in its Redis (<c>INFO keyspace</c>); -1 unknown. An empty Redis is never promoted over a full one.</param>
public sealed record PeerState(
    string Name, string Role, string ClusterAddress, string VrrpAddress, string AnnounceHost, int RedisPort,
    string VrrpState, int Priority, long ReplOffset, string RedisRole, long Incarnation, long Keys = -1)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>JSON for the replicated map.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a gossiped value; null for anything malformed (a newer or broken peer must not crash the guard).</summary>
    public static PeerState? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<PeerState>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
