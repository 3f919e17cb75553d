using System.Net;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// The gossiped <see cref="PeerState"/> both ways: this node's own state out, and the peers' states in,
/// as the VRRP side (<see cref="ClusterMaster"/>s) and the Redis side (<see cref="DataPeer"/>s) need
/// them. Pure.
/// </summary>
public static class GossipMapping
{
    /// <summary>How often an unchanged state with a moving offset or key count is re-gossiped.</summary>
    public static readonly TimeSpan OffsetPublishInterval = TimeSpan.FromSeconds(1);

    /// <summary>A data node's own state.</summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="vrrpAddress">Its primary address on the VRRP interface.</param>
    /// <param name="announceHost">How peers reach its Redis.</param>
    /// <param name="vrrp">Its VRRP state.</param>
    /// <param name="priority">Its effective priority.</param>
    /// <param name="facts">Its Redis' facts, null when it does not answer.</param>
    public static PeerState Local(HaSettings settings, IPAddress? vrrpAddress, string announceHost, VrrpState vrrp, byte priority,
        ReplicationFacts? facts) =>
        new(settings.Node.Name, PeerRole.Data, settings.Cluster.SelfAddress.ToString(), vrrpAddress?.ToString() ?? "", announceHost,
            settings.Redis.Port, ToPeer(vrrp), priority, facts?.Offset ?? -1, ToPeer(facts), 0, facts?.Keys ?? -1,
            ReplId: facts is { ReplicationId.Length: > 0 } ? facts.ReplicationId : null,
            ReplId2: facts is { ReplicationId2.Length: > 0 } ? facts.ReplicationId2 : null);

    /// <summary>A witness's state: a vote, no VRRP, no Redis.</summary>
    public static PeerState Witness(HaSettings settings) =>
        new(settings.Node.Name, PeerRole.Witness, settings.Cluster.SelfAddress.ToString(), "", "", 0, PeerVrrpState.None, 0, -1,
            PeerRedisRole.None, 0);

    /// <summary>
    /// Whether to gossip <paramref name="next"/>: role, VRRP state, priority and empty/not empty go out at
    /// once; a moving offset or key count at most once per <see cref="OffsetPublishInterval"/>.
    /// </summary>
    /// <param name="next">The state now.</param>
    /// <param name="published">The state last gossiped, null before the first.</param>
    /// <param name="sincePublished">Time since it was gossiped.</param>
    public static bool ShouldPublish(PeerState next, PeerState? published, TimeSpan sincePublished)
    {
        if (published is null || Shape(next) != Shape(published)) return true;
        return next != published && sincePublished >= OffsetPublishInterval;
    }

    private static PeerState Shape(PeerState p) => p with { ReplOffset = 0, Keys = Math.Sign(p.Keys) };

    /// <summary>Reachable peers that gossip VRRP MASTER, for the VRRP side's dual-master check.</summary>
    public static IReadOnlyList<ClusterMaster> Masters(IReadOnlyList<PeerView> peers)
    {
        var masters = new List<ClusterMaster>();
        foreach (var peer in peers)
            if (peer.Reachable && peer.State.VrrpState == PeerVrrpState.Master && IPAddress.TryParse(peer.State.VrrpAddress, out var address))
                masters.Add(new ClusterMaster(address, (byte)Math.Clamp(peer.State.Priority, 0, 255)));
        return masters;
    }

    /// <summary>
    /// The voters' gossiped VRRP addresses (the VRRP side's known advert sources, <see cref="AdvertSources"/>), by
    /// cluster address: each configured voter's latest, kept while it is away (it is still a configured peer,
    /// and its adverts may be what ends a cluster-only partition), replaced when it gossips another. Entries
    /// of members that are not configured voters are ignored, so the map never outgrows the voter list.
    /// </summary>
    /// <param name="known">The map so far.</param>
    /// <param name="voters">The configured voters (<c>akka.cluster.seed-nodes</c>).</param>
    /// <param name="peers">The gossiped peers now.</param>
    /// <returns><paramref name="known"/> itself when nothing changed.</returns>
    public static IReadOnlyDictionary<string, IPAddress> VoterVrrpAddresses(IReadOnlyDictionary<string, IPAddress> known,
        IReadOnlyList<Akka.Actor.Address> voters, IReadOnlyList<PeerView> peers)
    {
        var voterAddresses = voters.Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, IPAddress>? next = null;
        foreach (var peer in peers)
        {
            if (peer.State.Role != PeerRole.Data || !voterAddresses.Contains(peer.State.ClusterAddress)
                || !IPAddress.TryParse(peer.State.VrrpAddress, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                continue;
            if (known.TryGetValue(peer.State.ClusterAddress, out var was) && was.Equals(address)) continue;
            next ??= new Dictionary<string, IPAddress>(known, StringComparer.Ordinal);
            next[peer.State.ClusterAddress] = address;
        }
        return next ?? known;
    }

    /// <summary>A reachable data peer other than <paramref name="self"/> that is a VRRP backup with a higher priority than
    /// <paramref name="priority"/> (<see cref="Eligibility.StandOffAfterWait"/> stands off longer below one); null when none.</summary>
    /// <param name="peers">The gossiped peers.</param>
    /// <param name="self">This node's name.</param>
    /// <param name="priority">This node's effective priority.</param>
    public static PeerState? HigherBackup(IReadOnlyList<PeerView> peers, string self, byte priority) =>
        peers.FirstOrDefault(p => p.Reachable && p.State.Role == PeerRole.Data && p.State.Name != self
                                  && p.State.VrrpState == PeerVrrpState.Backup && p.State.Priority > priority)?.State;

    /// <summary>The data peers (witnesses left out), for the Redis side.</summary>
    public static IReadOnlyList<DataPeer> DataPeers(IReadOnlyList<PeerView> peers) =>
        peers.Where(p => p.State.Role == PeerRole.Data)
            .Select(p => new DataPeer(p.State.Name, p.State.AnnounceHost, p.State.RedisPort, p.Reachable, ToRedis(p.State.RedisRole),
                p.State.Keys, p.State.ReplOffset, p.State.ReplId ?? "", p.State.ReplId2 ?? "", p.State.VrrpAddress,
                ClusterEndpoint(p.State.ClusterAddress).Host, ClusterEndpoint(p.State.ClusterAddress).Port))
            .ToArray();

    /// <summary>"akka.tcp://redis-ha@192.0.2.1:4053" -> ("192.0.2.1", 4053); ("", 0) when it does not parse.</summary>
    public static (string Host, int Port) ClusterEndpoint(string clusterAddress) =>
        Uri.TryCreate(clusterAddress, UriKind.Absolute, out var uri) && uri.Port > 0 ? (uri.Host.Trim('[', ']'), uri.Port) : ("", 0);

    /// <summary>VRRP's state as gossiped.</summary>
    public static PeerVrrpState ToPeer(VrrpState state) => state switch
    {
        VrrpState.Master => PeerVrrpState.Master,
        VrrpState.Backup => PeerVrrpState.Backup,
        VrrpState.Fault => PeerVrrpState.Fault,
        _ => PeerVrrpState.Initialize,
    };

    /// <summary>The local Redis' role as gossiped: down when it does not answer.</summary>
    public static PeerRedisRole ToPeer(ReplicationFacts? facts) => facts?.Role switch
    {
        null or RedisRole.Unknown => PeerRedisRole.Down,
        RedisRole.Master => PeerRedisRole.Master,
        _ => PeerRedisRole.Replica,
    };

    /// <summary>A gossiped Redis role for the Redis side: unknown when down (or a witness).</summary>
    public static RedisRole ToRedis(PeerRedisRole role) => role switch
    {
        PeerRedisRole.Master => RedisRole.Master,
        PeerRedisRole.Replica => RedisRole.Replica,
        _ => RedisRole.Unknown,
    };
}
