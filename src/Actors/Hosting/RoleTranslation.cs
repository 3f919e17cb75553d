using System.Net;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// Translates VRRP's state and the cluster guard's verdict into the Redis side's
/// <see cref="RoleDirective"/>, so <c>Redis/</c> never speaks VRRP's or the cluster's vocabulary. Pure.
/// </summary>
public static class RoleTranslation
{
    /// <summary>MASTER wants a master, BACKUP a replica, FAULT a fenced Redis, INIT nothing yet.</summary>
    public static DesiredRole RoleFor(VrrpState state) => state switch
    {
        VrrpState.Master => DesiredRole.Master,
        VrrpState.Backup => DesiredRole.Replica,
        VrrpState.Fault => DesiredRole.Fenced,
        _ => DesiredRole.None,
    };

    /// <summary>The directive for the node's current view.</summary>
    /// <param name="vrrp">VRRP's state.</param>
    /// <param name="master">The master followed while BACKUP.</param>
    /// <param name="previousMaster">The last master heard before this node became master.</param>
    /// <param name="previousMasterAlive">It was still advertising (preempted).</param>
    /// <param name="previousMasterSilentFor">It fell silent this long before the takeover.</param>
    /// <param name="noQuorum">The guard's cause while in a minority, else null.</param>
    /// <param name="cause">What changed, for the log.</param>
    public static RoleDirective Directive(VrrpState vrrp, IPAddress? master, IPAddress? previousMaster, bool previousMasterAlive,
        TimeSpan? previousMasterSilentFor, string? noQuorum, string cause) =>
        new(RoleFor(vrrp), vrrp == VrrpState.Backup ? master : null, previousMaster, cause, previousMasterAlive, previousMasterSilentFor, noQuorum);
}
