using System.Net;
using System.Net.Sockets;

namespace RedisHaActors.Cluster;

/// <summary>Why a gossiped peer entry was dropped (counted as <c>redis_ha_cluster_gossip_dropped_total{reason}</c>).</summary>
public enum GossipDrop
{
    /// <summary>Not a <see cref="PeerState"/> (bad JSON, unknown enum word, missing field).</summary>
    Malformed,

    /// <summary>Its cluster address is not one of the configured voters (<c>akka.cluster.seed-nodes</c>).</summary>
    NotVoter,

    /// <summary>Its map key is not the name it carries (one node writing another's entry).</summary>
    NameMismatch,

    /// <summary>A value outside its range (priority 0..255, port, offsets, addresses, role and state that do not go together).</summary>
    OutOfRange,
}

/// <summary>
/// Which gossiped peer entries count: only a configured voter's, under its own name, with every value in range.
/// Anything else is dropped before it can move the master (a forged "master, priority 254" entry would make the
/// real master step down). Pure.
/// </summary>
public static class GossipCheck
{
    /// <summary>Longest node name, announce host or replication id accepted, in characters.</summary>
    public const int MaxText = 255;

    /// <summary>
    /// The entry's state when it counts, else null with <paramref name="drop"/> saying why.
    /// </summary>
    /// <param name="key">The map key (the writer's node name).</param>
    /// <param name="json">The gossiped value.</param>
    /// <param name="voters">The configured voters' cluster addresses, as <see cref="Akka.Actor.Address.ToString"/> writes them.</param>
    /// <param name="drop">Why it was dropped; null when it counts.</param>
    public static PeerState? Check(string key, string json, IReadOnlySet<string> voters, out GossipDrop? drop)
    {
        var state = PeerState.FromJson(json);
        drop = state is null ? GossipDrop.Malformed
            : !voters.Contains(state.ClusterAddress) ? GossipDrop.NotVoter
            : !string.Equals(key, state.Name, StringComparison.Ordinal) ? GossipDrop.NameMismatch
            : InRange(state) ? null
            : GossipDrop.OutOfRange;
        return drop is null ? state : null;
    }

    /// <summary>Every value within its range, and role, VRRP state and Redis role consistent.</summary>
    public static bool InRange(PeerState s)
    {
        if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > MaxText) return false;
        if (!Enum.IsDefined(s.Role) || !Enum.IsDefined(s.VrrpState) || !Enum.IsDefined(s.RedisRole)) return false;
        if (s.Priority is < 0 or > 255 || s.Incarnation < 0 || s.ReplOffset < -1 || s.Keys < -1) return false;
        if (s.AnnounceHost.Length > MaxText || (s.ReplId?.Length ?? 0) > MaxText || (s.ReplId2?.Length ?? 0) > MaxText) return false;
        if (s.Role == PeerRole.Witness)
            return s.VrrpState == PeerVrrpState.None && s.RedisRole == PeerRedisRole.None && s.Priority == 0;
        return s.VrrpState != PeerVrrpState.None && s.RedisRole != PeerRedisRole.None
            && s.RedisPort is >= 1 and <= 65535
            && (s.VrrpAddress.Length == 0 || (IPAddress.TryParse(s.VrrpAddress, out var a) && a.AddressFamily == AddressFamily.InterNetwork));
    }
}
