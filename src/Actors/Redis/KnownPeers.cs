using System.Net;

namespace RedisHaActors.Redis;

/// <summary>
/// The addresses the role flipper may treat as a peer's Redis when following the VRRP master (the
/// node supervisor sends the VRRP side's known advert sources: configured unicast peers, voters,
/// gossiped VRRP addresses). Sent before the first <see cref="RoleDirective"/> and on every change.
/// </summary>
/// <param name="Addresses">The known peers; null = not filtered (multicast with the guard off: VRRP
/// accepts every source, warned at start).</param>
public sealed record KnownPeersChanged(IReadOnlySet<IPAddress>? Addresses);

/// <summary>
/// The Redis side's rule for who is a peer: a master that is not a known peer is never followed
/// (no <c>REPLICAOF</c>), never caught up with, never probed, so the Redis user and password never go
/// to it. The VRRP side already drops such adverts; this holds even if a directive names one. Pure.
/// </summary>
public static class KnownPeers
{
    /// <summary>Whether <paramref name="address"/> may be connected to: known, or nothing is filtered.</summary>
    /// <param name="known">The known peers; null = not filtered.</param>
    /// <param name="address">A master's address (its advert source).</param>
    public static bool Allows(IReadOnlySet<IPAddress>? known, IPAddress address) => known is null || known.Contains(address);

    /// <summary>
    /// <paramref name="directive"/> without a <see cref="RoleDirective.Master"/> or
    /// <see cref="RoleDirective.PreviousMaster"/> that is not a known peer: a replica then waits for a
    /// known master (<see cref="RolePlanner"/>: "no master known"), a promotion does not catch up.
    /// Returns <paramref name="directive"/> itself when nothing was removed.
    /// </summary>
    /// <param name="directive">The directive as the node supervisor sent it.</param>
    /// <param name="known">The known peers; null = not filtered.</param>
    public static RoleDirective Screen(RoleDirective directive, IReadOnlySet<IPAddress>? known)
    {
        var master = directive.Master is { } m && !Allows(known, m);
        var previous = directive.PreviousMaster is { } p && !Allows(known, p);
        if (!master && !previous) return directive;
        return directive with
        {
            Master = master ? null : directive.Master,
            PreviousMaster = previous ? null : directive.PreviousMaster,
            PreviousMasterAlive = !previous && directive.PreviousMasterAlive,
            PreviousMasterSilentFor = previous ? null : directive.PreviousMasterSilentFor,
        };
    }
}
