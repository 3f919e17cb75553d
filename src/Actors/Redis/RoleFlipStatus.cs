using System.Net;

namespace RedisHaActors.Redis;

/// <summary>Asks <see cref="RoleFlipActor"/> for a <see cref="RoleFlipStatus"/>.</summary>
public sealed record GetRoleFlipStatus
{
    /// <summary>The single instance.</summary>
    public static GetRoleFlipStatus Instance { get; } = new();
}

/// <summary>A snapshot of the role flipper for status output and tests.</summary>
/// <param name="DesiredRole">The role the node's last directive asks for.</param>
/// <param name="Master">The master followed while <see cref="Redis.DesiredRole.Replica"/>; null otherwise or while unknown.</param>
/// <param name="LastOutcome">The last finished role change of the current decisions, as logged; "" before the first.</param>
/// <param name="LastOutcomeFailed">That change failed (it is retried after the next check).</param>
/// <param name="LastOutcomeAt">Wall-clock time (UTC) of that change; null before the first.</param>
/// <param name="Generation">Count of decisions so far; a newer one cancels in-flight work of older ones.</param>
/// <param name="InFlight">A role change is running now.</param>
/// <param name="FenceUnavailable">The fences this node cannot keep because its Redis refuses a command
/// (<see cref="RedisPermissions.FenceUnavailable"/>), e.g. "min-replicas self-fence off (CONFIG SET refused)"; "" when none.</param>
/// <param name="LossRefusal">Why <c>max-loss</c> refuses an automatic promotion now, with the numbers (<see cref="LossBound"/>); "" when not.</param>
/// <param name="LastKnownMasterOffset">The <c>master_repl_offset</c> of the master's Redis as this node last read it (bytes), the
/// loss estimate's base (<see cref="RolePlanner.EstimatedLoss"/>); null before the first read.</param>
public sealed record RoleFlipStatus(
    DesiredRole DesiredRole,
    IPAddress? Master,
    string LastOutcome,
    bool LastOutcomeFailed,
    DateTimeOffset? LastOutcomeAt,
    long Generation,
    bool InFlight,
    string FenceUnavailable = "",
    string LossRefusal = "",
    long? LastKnownMasterOffset = null);
