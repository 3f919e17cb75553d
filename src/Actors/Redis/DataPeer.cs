namespace RedisHaActors.Redis;

/// <summary>Another data node's Redis, as the node supervisor maps it from the cluster's gossip.</summary>
/// <param name="Name">Its node name.</param>
/// <param name="Host">How its Redis is reached ("" when it did not say).</param>
/// <param name="Port">Its Redis port.</param>
/// <param name="Reachable">Its coordinator is a reachable cluster member now.</param>
/// <param name="Role">Its Redis role; <see cref="RedisRole.Unknown"/> when its Redis does not answer.</param>
/// <param name="Keys">Keys in its Redis; -1 unknown.</param>
/// <param name="Offset">Its replication offset, bytes; -1 unknown.</param>
/// <param name="ReplicationId">Its <c>master_replid</c>; "" unknown (a version before this field).</param>
/// <param name="ReplicationId2">Its <c>master_replid2</c>, the history it forked from when promoted; "" none or unknown.</param>
/// <param name="VrrpAddress">Its advert source address; "" unknown.</param>
/// <param name="ClusterHost">Its coordinator's cluster (Akka remoting) host; "" unknown.</param>
/// <param name="ClusterPort">Its coordinator's cluster port; 0 unknown.</param>
public sealed record DataPeer(string Name, string Host, int Port, bool Reachable, RedisRole Role, long Keys, long Offset,
    string ReplicationId = "", string ReplicationId2 = "", string VrrpAddress = "", string ClusterHost = "", int ClusterPort = 0)
{
    /// <summary>The data peer whose adverts come from <paramref name="vrrpAddress"/> and whose cluster endpoint is known; null when none.</summary>
    public static DataPeer? AdvertisingFrom(IReadOnlyList<DataPeer> peers, System.Net.IPAddress vrrpAddress) =>
        peers.FirstOrDefault(p => p.VrrpAddress == vrrpAddress.ToString() && p.ClusterPort > 0);
}

/// <summary>The data peers changed (gossip or reachability). The witness is not a data peer.</summary>
/// <param name="Peers">Every other data node that is a cluster member.</param>
public sealed record DataPeersChanged(IReadOnlyList<DataPeer> Peers);
