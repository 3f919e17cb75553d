namespace RedisHaActors.Cluster;

/// <summary>Sent by <see cref="ClusterGuardActor"/> to its listener whenever the quorum view changes.</summary>
/// <param name="View">The new view.</param>
public sealed record QuorumChanged(QuorumView View);

/// <summary>A gossiped peer with its current reachability.</summary>
/// <param name="State">Its last gossiped state.</param>
/// <param name="Reachable">A usable cluster member that no failure detector reports unreachable; false also while its
/// MASTER claim dates from before it was last unreachable (held until it gossips a newer one, at most a few seconds).</param>
public sealed record PeerView(PeerState State, bool Reachable);

/// <summary>Sent by <see cref="ClusterGuardActor"/> when any peer's state or reachability changed.
/// Only peers that are current cluster members, with a state gossiped by that member's current incarnation (a
/// restarted node is left out until it publishes again); this node excluded.</summary>
/// <param name="Peers">The other nodes.</param>
/// <param name="Pending">Reachable members whose current incarnation has not published its state yet, by cluster
/// address (<see cref="GossipCurrency.Pending"/>); null as none.</param>
/// <param name="Remembered">Data nodes' states from an incarnation that is not a member now
/// (<see cref="GossipCurrency.Remembered"/>): never live, only what they say about their Redis' history; null as none.</param>
public sealed record PeersChanged(IReadOnlyList<PeerView> Peers, IReadOnlyList<string>? Pending = null, IReadOnlyList<PeerState>? Remembered = null);

/// <summary>Tells the guard this node's own public state, to gossip (rate-limited by the guard).</summary>
/// <param name="State">The state; <see cref="PeerState.Incarnation"/> is set by the guard.</param>
public sealed record PublishLocalState(PeerState State);

/// <summary>Asks <see cref="ClusterGuardActor"/> for a <see cref="GuardStatus"/>.</summary>
public sealed record GetGuardStatus
{
    /// <summary>The single instance.</summary>
    public static GetGuardStatus Instance { get; } = new();
}

/// <summary>The guard's view for status output.</summary>
/// <param name="Enabled">False when no seed nodes are configured.</param>
/// <param name="Quorum">Current quorum view.</param>
/// <param name="SelfAddress">This node's cluster address.</param>
/// <param name="Members">"address status[ unreachable]" per member.</param>
/// <param name="Peers">Gossiped peers.</param>
/// <param name="GossipDrops">Gossiped entries dropped since start by reason (<see cref="GossipCheck"/>); null from an older node.</param>
/// <param name="TlsRefused">Peer certificates refused since start (<see cref="ClusterTrust"/>); null when TLS is off.</param>
/// <param name="TlsHandshakesFailed">Other failed TLS handshakes since start (<see cref="ClusterTrust.HandshakesFailed"/>: no
/// certificate, plain TCP, ours refused, closed, timed out); null when TLS is off.</param>
public sealed record GuardStatus(bool Enabled, QuorumView Quorum, string SelfAddress, IReadOnlyList<string> Members, IReadOnlyList<PeerView> Peers,
    IReadOnlyDictionary<GossipDrop, long>? GossipDrops = null, long? TlsRefused = null, long? TlsHandshakesFailed = null);
