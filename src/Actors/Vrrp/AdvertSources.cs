using System.Net;
using RedisHaActors.Configuration;

namespace RedisHaActors.Vrrp;

/// <summary>
/// Whose adverts this node accepts: only known peers, so one spoofed advert (valid VRID and address
/// list, priority 254, any source) cannot make the master step down, nor point every node's Redis at
/// the spoofer. Known = the configured <c>unicast-peers</c>, plus, when the cluster guard runs, the
/// configured voters' hosts (IPv4 literals in <c>akka.cluster.seed-nodes</c>) and the VRRP addresses
/// the voters gossip. With neither (multicast, guard off) nothing is known and every source is
/// accepted, as keepalived does without <c>unicast_peer</c>; the node says so at start. Pure.
/// <para>
/// Boot with the guard on: before the first gossip only configured addresses are known, so a peer
/// whose VRRP address is not its cluster host is not heard yet. That never blocks the first
/// election (a node that hears no one still becomes master after Master_Down_Interval) and never
/// makes a second master early: a guarded node takes no MASTER before the guard grants quorum, and
/// the gossip that carries the peers' addresses follows within a gossip round (500 ms); then a master
/// that is still advertising wins by RFC 5798 §6.4.3, or by the cluster's dual-master check.
/// </para>
/// </summary>
/// <param name="Allowed">The known sources; null = not filtered (every source accepted).</param>
public sealed record AdvertSources(IReadOnlySet<IPAddress>? Allowed)
{
    /// <summary>No filter: every source is accepted (multicast with the guard off).</summary>
    public static AdvertSources Unfiltered { get; } = new((IReadOnlySet<IPAddress>?)null);

    /// <summary>True when only <see cref="Allowed"/> sources are accepted.</summary>
    public bool Filtered => Allowed is not null;

    /// <summary>Whether an advert from <paramref name="source"/> (its IP source address) is accepted.</summary>
    public bool Accepts(IPAddress source) => Allowed is null || Allowed.Contains(source);

    /// <summary>
    /// The known sources from configuration and gossip.
    /// </summary>
    /// <param name="vrrp">VRRP settings: <see cref="VrrpSettings.Peers"/> are known.</param>
    /// <param name="cluster">The guard's settings; null or not <see cref="ClusterGuardSettings.Enabled"/> = guard off.
    /// Voters whose host is an IPv4 literal are known (a host name is not resolved here; its node is
    /// known once it gossips its VRRP address).</param>
    /// <param name="gossiped">The voters' gossiped VRRP addresses (ignored with the guard off).</param>
    public static AdvertSources From(VrrpSettings vrrp, ClusterGuardSettings? cluster, IEnumerable<IPAddress> gossiped)
    {
        var guarded = cluster is { Enabled: true };
        if (vrrp.Peers.Count == 0 && !guarded) return Unfiltered;
        var allowed = new HashSet<IPAddress>(vrrp.Peers);
        if (guarded)
        {
            foreach (var voter in cluster!.Voters)
                if (IPAddress.TryParse(voter.Host, out var host)) allowed.Add(host);
            allowed.UnionWith(gossiped);
        }
        return new AdvertSources(allowed);
    }

    /// <summary>
    /// What <see cref="VrrpActor"/> holds before the node supervisor tells it anything: the unicast
    /// peers; with the guard on and none configured, nobody yet (fail closed until configuration and
    /// gossip arrive); otherwise <see cref="Unfiltered"/>.
    /// </summary>
    /// <param name="vrrp">VRRP settings.</param>
    /// <param name="guarded">Whether the cluster guard runs.</param>
    public static AdvertSources Initial(VrrpSettings vrrp, bool guarded) =>
        vrrp.Peers.Count == 0 && !guarded ? Unfiltered : new AdvertSources(new HashSet<IPAddress>(vrrp.Peers));

    /// <summary>Same addresses (or both unfiltered).</summary>
    public bool Equals(AdvertSources? other) =>
        other is not null && (Allowed is null ? other.Allowed is null : other.Allowed is not null && Allowed.SetEquals(other.Allowed));

    /// <inheritdoc />
    public override int GetHashCode() => Allowed?.Count ?? -1;

    /// <summary>For logs: "any" or the sorted addresses.</summary>
    public override string ToString() =>
        Allowed is null ? "any" : Allowed.Count == 0 ? "none yet" : string.Join(", ", Allowed.OrderBy(a => a, Comparer<IPAddress>.Create(Primitives.Ipv4Order.Compare)));
}

/// <summary>The node supervisor's current <see cref="AdvertSources"/> for <see cref="VrrpActor"/> (configuration
/// and gossip; sent at creation and whenever the gossiped addresses change).</summary>
/// <param name="Sources">Whose adverts to accept.</param>
public sealed record AdvertSourcesChanged(AdvertSources Sources);
