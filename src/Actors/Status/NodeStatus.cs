using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Status;

/// <summary>
/// Asks the node supervisor for a <see cref="NodeStatus"/>. The node asks each child
/// with a bounded wait (about a second), so the answer comes even while a child is restarting.
/// </summary>
public sealed record GetNodeStatus
{
    /// <summary>The single instance.</summary>
    public static GetNodeStatus Instance { get; } = new();
}

/// <summary>
/// A snapshot of one node: identity, uptime and its children's status. Immutable; served as JSON
/// by the status endpoint (<see cref="StatusJson"/>) and read back by <c>redis-ha status</c>.
/// </summary>
/// <param name="Node">The node's name (<c>redis-ha.node.name</c>).</param>
/// <param name="StartedAt">Wall-clock start of the node (UTC).</param>
/// <param name="UptimeSeconds">Seconds since the node started (monotonic).</param>
/// <param name="Interface">The VRRP interface.</param>
/// <param name="VirtualRouterId">The VRID, 1..255.</param>
/// <param name="ConfiguredPriority">The configured VRRP priority, before the check weight.</param>
/// <param name="VirtualAddresses">The virtual addresses as CIDR (held while VRRP is MASTER).</param>
/// <param name="Vrrp">The VRRP instance; null when it did not answer in time.</param>
/// <param name="Redis">The local Redis check; null when it did not answer in time.</param>
/// <param name="RoleFlip">The role flipper; null when it did not answer in time.</param>
/// <param name="Cluster">The cluster guard (quorum view, members, gossiped peers); null when it is off or did not answer.</param>
/// <param name="Maintenance">The set's maintenance mode as this node knows it: <c>off</c>, <c>paused by NODE at TIME</c>, or
/// <c>unknown</c> (a guarded node before its first read); null = guard off (no maintenance mode).</param>
/// <param name="PendingRestart">Keys of the node file that changed since start and need a restart (<see cref="Configuration.ReloadPlan"/>); empty = none.</param>
/// <param name="DataRefusal">Why the data rules keep this node from VRRP MASTER now (an unfinished first sync, a newer history
/// elsewhere, an empty Redis beside a full one, max-loss), as logged; null when none.</param>
/// <param name="ForcedPromotion">An operator's forced promotion while it runs (<c>redis-ha promote</c>: what it overrides and the
/// estimated loss), as logged; null when none.</param>
public sealed record NodeStatus(
    string Node,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    string Interface,
    byte VirtualRouterId,
    byte ConfiguredPriority,
    IReadOnlyList<string> VirtualAddresses,
    VrrpStatus? Vrrp,
    RedisStatus? Redis,
    RoleFlipStatus? RoleFlip,
    Cluster.GuardStatus? Cluster = null,
    string? Maintenance = null,
    IReadOnlyList<string>? PendingRestart = null,
    string? DataRefusal = null,
    string? ForcedPromotion = null)
{
    /// <summary>Whether the set is paused as this node knows it.</summary>
    public bool Paused => Maintenance?.StartsWith("paused", StringComparison.Ordinal) == true;
}
