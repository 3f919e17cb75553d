using System.Text.Json;
using System.Text.Json.Serialization;

namespace RedisHaActors.Cluster;

/// <summary>
/// One node's public state, as gossiped through Akka Distributed Data (an LWW map keyed by
/// node name, values as JSON so no custom Akka serializer is needed). Immutable.
/// </summary>
/// <param name="Name">redis-ha.node.name.</param>
/// <param name="Role">Data node or witness.</param>
/// <param name="ClusterAddress">Akka address (<c>akka.tcp://redis-ha@host:port</c>), to match membership.</param>
/// <param name="VrrpAddress">Primary IPv4 address on the VRRP interface (advert source); empty for a witness.</param>
/// <param name="AnnounceHost">How peers reach this node's Redis.</param>
/// <param name="RedisPort">Its Redis port.</param>
/// <param name="VrrpState">Its VRRP state; <see cref="PeerVrrpState.None"/> for a witness.</param>
/// <param name="Priority">Effective VRRP priority, 0..254.</param>
/// <param name="ReplOffset">The local Redis' replication offset (<c>master_repl_offset</c> or the replica's processed offset), bytes; -1 unknown.</param>
/// <param name="RedisRole">Its Redis role; <see cref="PeerRedisRole.Down"/> when its Redis does not answer,
/// <see cref="PeerRedisRole.None"/> for a witness.</param>
/// <param name="Incarnation">Increases with every update from that node, so observers can tell fresh from stale.</param>
/// <param name="Keys">Keys in its Redis (<c>INFO keyspace</c>); -1 unknown. An empty Redis is never promoted over a full one.</param>
/// <param name="ClusterUid">The writer's Akka <c>UniqueAddress.Uid</c>, set by the guard: a restarted node keeps its
/// <paramref name="ClusterAddress"/> but not its uid, so observers tell its previous incarnation's state from its own.
/// 0 when written by a version before this field (left out of the JSON then, so that version reads it unchanged).</param>
/// <param name="ReplId">Its Redis' <c>master_replid</c>; null when unknown or written by a version before this field.</param>
/// <param name="ReplId2">Its Redis' <c>master_replid2</c> (the history it forked from at a promotion); null when none.</param>
public sealed record PeerState(
    string Name, PeerRole Role, string ClusterAddress, string VrrpAddress, string AnnounceHost, int RedisPort,
    PeerVrrpState VrrpState, int Priority, long ReplOffset, PeerRedisRole RedisRole, long Incarnation, long Keys = -1,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long ClusterUid = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReplId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReplId2 = null)
{
    // Enums travel as the lower-case words earlier versions wrote ("data", "master", "down", ...), so
    // nodes of both versions understand each other during a rolling upgrade; numbers are refused.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>
    /// Whether this state speaks for the cluster member whose uid is <paramref name="memberUid"/>: written by that
    /// incarnation, or by a version that did not record its uid (nothing to tell then). A restarted node's map
    /// entry stays its previous incarnation's ("master, priority 200") until the new one publishes; believed,
    /// it would make the new master step down and move the VIP back.
    /// </summary>
    /// <param name="memberUid">The member's <c>UniqueAddress.Uid</c>.</param>
    public bool IsFrom(long memberUid) => ClusterUid == 0 || ClusterUid == memberUid;

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

/// <summary>What a cluster member is (gossiped as "data" or "witness").</summary>
public enum PeerRole
{
    /// <summary>Runs VRRP and a Redis.</summary>
    Data,
    /// <summary>Only a vote (<c>redis-ha.node.role = witness</c>).</summary>
    Witness,
}

/// <summary>A peer's VRRP state as gossiped ("none" for a witness, "initialize", "backup", "master", "fault").</summary>
public enum PeerVrrpState
{
    /// <summary>A witness: no VRRP.</summary>
    None,
    /// <summary>Not started or shut down.</summary>
    Initialize,
    /// <summary>BACKUP.</summary>
    Backup,
    /// <summary>MASTER: holds the VIP.</summary>
    Master,
    /// <summary>FAULT: its interface is down.</summary>
    Fault,
}

/// <summary>A peer's Redis role as gossiped ("none" for a witness, "down", "master", "replica").</summary>
public enum PeerRedisRole
{
    /// <summary>A witness: no Redis.</summary>
    None,
    /// <summary>Its Redis does not answer.</summary>
    Down,
    /// <summary>A master.</summary>
    Master,
    /// <summary>A replica.</summary>
    Replica,
}
