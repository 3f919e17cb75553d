namespace RedisHaActors.Cluster;

/// <summary>
/// Which gossiped states speak for the cluster members now, and which do not. Pure. A member that is
/// reachable but whose current incarnation has not published yet (it just joined or restarted) is
/// <see cref="Pending"/>: what its Redis holds is not known, so no election may be decided until it
/// publishes (its previous incarnation's "replica of nowhere" says nothing of the writes since).
/// A data node's state written by an incarnation that is no longer a member (its node is restarting or
/// gone) is <see cref="Remembered"/>: it must never move the VIP, but what it says about its Redis'
/// history (replication ids) still holds for that Redis, so a backup does not win an election over it.
/// </summary>
public static class GossipCurrency
{
    /// <summary>How long a node that just joined waits for the replicated map before it stands for election without it:
    /// a rejoining node gets it from a peer within a gossip round or two (500 ms each); at a cold boot there is nothing
    /// to wait for, and waiting longer would only let a later joiner catch up and race it.</summary>
    public static readonly TimeSpan MapWait = TimeSpan.FromSeconds(1.5);

    /// <summary>One cluster member as the guard sees it.</summary>
    /// <param name="Address">Its Akka address (<c>akka.tcp://redis-ha@host:port</c>).</param>
    /// <param name="Uid">Its <c>UniqueAddress.Uid</c>: new with every start of its actor system.</param>
    /// <param name="Usable">Joining, WeaklyUp or Up (not leaving, exiting, down or removed).</param>
    /// <param name="Reachable">No failure detector reports it unreachable.</param>
    public sealed record Member(string Address, long Uid, bool Usable, bool Reachable);

    /// <summary>
    /// The usable, reachable members other than <paramref name="self"/> not to decide an election without, by address,
    /// ordered: those whose entry in <paramref name="gossiped"/> a previous incarnation wrote (restarted, not published
    /// yet), and all of them while none has an entry from its current incarnation (this node just joined and has not
    /// received the replicated map yet), for at most <see cref="MapWait"/> after it joined. A member with no entry at
    /// all otherwise is not waited for: a cold boot elects as before, the first to be a majority with the witness.
    /// </summary>
    /// <param name="members">The cluster's members now.</param>
    /// <param name="gossiped">The gossiped states (any incarnation).</param>
    /// <param name="self">This node's address.</param>
    /// <param name="mapWaitOver">This node has been a member for <see cref="MapWait"/> or longer.</param>
    public static IReadOnlyList<string> Pending(IEnumerable<Member> members, IEnumerable<PeerState> gossiped, string self, bool mapWaitOver = false)
    {
        var states = gossiped.ToArray();
        var others = members.Where(m => m.Address != self && m.Usable && m.Reachable).ToArray();
        bool Current(Member m) => states.Any(p => p.ClusterAddress == m.Address && p.IsFrom(m.Uid));
        bool Previous(Member m) => states.Any(p => p.ClusterAddress == m.Address) && !Current(m);
        var mapArrived = mapWaitOver || others.Any(Current);
        return others
            .Where(m => mapArrived ? Previous(m) : true)
            .Select(m => m.Address)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Data nodes' states whose writer is not a member now (a node downed and restarting, or gone) or
    /// is a previous incarnation of a member that has not published yet; <paramref name="self"/>'s own left
    /// out. Ordered by name.</summary>
    /// <param name="members">The cluster's members now.</param>
    /// <param name="gossiped">The gossiped states (any incarnation).</param>
    /// <param name="self">This node's address.</param>
    public static IReadOnlyList<PeerState> Remembered(IEnumerable<Member> members, IEnumerable<PeerState> gossiped, string self)
    {
        var byAddress = members.ToDictionary(m => m.Address, StringComparer.Ordinal);
        return gossiped
            .Where(p => p.Role == PeerRole.Data && p.ClusterAddress != self
                        && (!byAddress.TryGetValue(p.ClusterAddress, out var m) || !p.IsFrom(m.Uid)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToArray();
    }
}
