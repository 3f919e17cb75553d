using RedisHaActors.Cluster;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>Whether a switchover may start, and to which peer. Pure.</summary>
public static class SwitchoverPolicy
{
    /// <summary>The refusal for a switchover to <paramref name="to"/>, or null with the <paramref name="target"/> peer.</summary>
    /// <param name="to">The target's node name.</param>
    /// <param name="self">This node's name.</param>
    /// <param name="guarded">The cluster guard runs (it knows the peers).</param>
    /// <param name="inProgress">A switchover is already running.</param>
    /// <param name="vrrp">This node's VRRP state.</param>
    /// <param name="local">The local Redis' facts, null when it does not answer.</param>
    /// <param name="peers">The peers as gossiped.</param>
    /// <param name="target">The target peer's state when not refused.</param>
    public static string? Refusal(string to, string self, bool guarded, bool inProgress, VrrpState vrrp, ReplicationFacts? local,
        IReadOnlyList<PeerView> peers, out PeerState? target)
    {
        target = null;
        if (!guarded) return "refused: a switchover needs the cluster guard (akka.cluster.seed-nodes), which knows the peers";
        if (inProgress) return "refused: a switchover is already in progress";
        if (to == self) return $"refused: {to} is this node";
        if (vrrp != VrrpState.Master) return $"refused: this node is not the master (VRRP {vrrp.ToString().ToUpperInvariant()}); run the switchover on the master's node";
        if (local is not { Role: RedisRole.Master }) return "refused: the local Redis is not a master";
        var peer = peers.FirstOrDefault(p => p.State.Name == to);
        if (peer is null)
            return $"refused: no node named {to} in the cluster (known: {string.Join(", ", peers.Select(p => p.State.Name))})";
        if (peer.State.Role != PeerRole.Data) return $"refused: {to} is a witness";
        if (!peer.Reachable) return $"refused: {to} is unreachable";
        if (peer.State.RedisRole != PeerRedisRole.Replica)
            return $"refused: {to}'s Redis is {peer.State.RedisRole.ToString().ToLowerInvariant()}, not a replica";
        target = peer.State;
        return null;
    }
}
