using System.Net;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Redis;

/// <summary>Asks <see cref="RoleFlipActor"/> for a <see cref="RoleFlipStatus"/>.</summary>
public sealed record GetRoleFlipStatus
{
    /// <summary>The single instance.</summary>
    public static GetRoleFlipStatus Instance { get; } = new();
}

/// <summary>A snapshot of the role flipper for status output and tests.</summary>
/// <param name="Vrrp">The VRRP state the flipper last heard.</param>
/// <param name="DesiredRole">The Redis role that state asks for (<see cref="DesiredRoleFor"/>).</param>
/// <param name="Master">The VRRP master followed while BACKUP; null otherwise or while unknown.</param>
/// <param name="LastOutcome">The last finished role change of the current decisions, as logged; "" before the first.</param>
/// <param name="LastOutcomeFailed">That change failed (it is retried on the next check).</param>
/// <param name="LastOutcomeAt">Wall-clock time (UTC) of that change; null before the first.</param>
/// <param name="Generation">Count of VRRP decisions so far; a newer one cancels in-flight work of older ones.</param>
/// <param name="InFlight">A role change is running now.</param>
public sealed record RoleFlipStatus(
    VrrpState Vrrp,
    RedisRole DesiredRole,
    IPAddress? Master,
    string LastOutcome,
    bool LastOutcomeFailed,
    DateTimeOffset? LastOutcomeAt,
    long Generation,
    bool InFlight)
{
    /// <summary>
    /// MASTER wants a Redis master; BACKUP a replica (of the master heard); FAULT a replica too (a
    /// master is fenced read-only); INIT nothing yet (<see cref="RedisRole.Unknown"/>).
    /// </summary>
    public static RedisRole DesiredRoleFor(VrrpState state) => state switch
    {
        VrrpState.Master => RedisRole.Master,
        VrrpState.Backup or VrrpState.Fault => RedisRole.Replica,
        _ => RedisRole.Unknown,
    };
}
