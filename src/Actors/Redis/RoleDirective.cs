using System.Net;

namespace RedisHaActors.Redis;

/// <summary>The role the node asks of its Redis. The node supervisor translates VRRP's state into it.</summary>
public enum DesiredRole
{
    /// <summary>VRRP is not running yet: change nothing.</summary>
    None,
    /// <summary>VRRP MASTER: a writable master, after catching up with the previous master if it answers.</summary>
    Master,
    /// <summary>VRRP BACKUP: a replica of <see cref="RoleDirective.Master"/> once one is known.</summary>
    Replica,
    /// <summary>VRRP FAULT: the node is cut off; a master is fenced read-only.</summary>
    Fenced,
}

/// <summary>
/// What the node wants of its Redis now, from the VRRP state and the cluster guard's verdict. The role
/// flipper holds the latest; one that <see cref="Supersedes"/> the previous cancels in-flight work.
/// </summary>
/// <param name="Role">The role wanted.</param>
/// <param name="Master">The master to follow while <see cref="DesiredRole.Replica"/> (its advert source); null when none is known.</param>
/// <param name="PreviousMaster">The master followed before this node became master: the promotion's catch-up source.</param>
/// <param name="Cause">Why, as logged ("VRRP MASTER (no advert for 3.66 s from 192.0.2.1)").</param>
/// <param name="PreviousMasterAlive">The previous master was still advertising (a preemption): its Redis should answer.</param>
/// <param name="PreviousMasterSilentFor">It fell silent this long before the takeover; null when it left (priority 0), was preempted or none was heard.</param>
/// <param name="NoQuorum">The cluster guard's cause while this node is in a minority, else null: its Redis must refuse writes.</param>
public sealed record RoleDirective(
    DesiredRole Role,
    IPAddress? Master,
    IPAddress? PreviousMaster,
    string Cause,
    bool PreviousMasterAlive = false,
    TimeSpan? PreviousMasterSilentFor = null,
    string? NoQuorum = null)
{
    /// <summary>Before the first directive.</summary>
    public static RoleDirective Initial { get; } = new(DesiredRole.None, null, null, "not started");

    /// <summary>A new decision, not a restatement: the role, the master followed or the quorum verdict
    /// changed (a new cause text alone is not).</summary>
    public bool Supersedes(RoleDirective previous) =>
        Role != previous.Role || !Equals(Master, previous.Master) || (NoQuorum is null) != (previous.NoQuorum is null);
}
