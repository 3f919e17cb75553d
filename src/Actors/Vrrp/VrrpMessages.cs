using System.Net;

namespace RedisHaActors.Vrrp;

/// <summary>Published by <see cref="VrrpActor"/> on every state change.</summary>
/// <param name="State">New state.</param>
/// <param name="Master">Current master when BACKUP and known.</param>
/// <param name="PreviousMaster">Master heard last before this change (promotion catch-up source).</param>
/// <param name="Cause">Why, as logged.</param>
/// <param name="PreviousMasterAlive">The previous master was still advertising (preemption).</param>
/// <param name="PreviousMasterSilentFor">Time since the previous master's last advert when it fell silent (see <see cref="StateChanged"/>).</param>
public sealed record VrrpStatusChanged(VrrpState State, IPAddress? Master, IPAddress? PreviousMaster, string Cause, bool PreviousMasterAlive = false,
    TimeSpan? PreviousMasterSilentFor = null);

/// <summary>
/// Published by <see cref="VrrpActor"/> each time a MASTER acquires or renews the VIP lease. The role
/// flipper promotes only while the last renewal is younger than the lease, so a process that wakes
/// from a stall (SIGSTOP, a long pause) never promotes on a MASTER state that has lapsed.
/// </summary>
/// <param name="Lease">The lease as the state machine holds it: renewed at the node's monotonic time, for
/// <see cref="Configuration.VrrpSettings.VipLease"/>.</param>
public sealed record VrrpLeaseRenewed(Primitives.Lease Lease);

/// <summary>Published by <see cref="VrrpActor"/> when a BACKUP starts following another master.</summary>
/// <param name="Master">The master's primary address (advert source).</param>
public sealed record VrrpMasterChanged(IPAddress Master);

/// <summary>Published by <see cref="VrrpActor"/> while a silent master keeps a BACKUP from taking over because the
/// cluster still shows it up; the node answers with <see cref="ClusterMasterGone"/> when its processes are provably gone.</summary>
/// <param name="Master">The silent master's advert source.</param>
public sealed record VrrpMasterSilent(IPAddress Master);

/// <summary>Asks <see cref="VrrpActor"/> for a <see cref="VrrpStatus"/>.</summary>
public sealed record GetVrrpStatus
{
    /// <summary>The single instance.</summary>
    public static GetVrrpStatus Instance { get; } = new();
}

/// <summary>A snapshot of the VRRP instance for status output and tests.</summary>
/// <param name="State">Current state.</param>
/// <param name="Priority">Effective priority.</param>
/// <param name="Eligible">Whether the node may become master.</param>
/// <param name="Master">Master followed while BACKUP.</param>
/// <param name="AdvertsSent">Adverts sent since start.</param>
/// <param name="Drops">Dropped datagrams by reason since start.</param>
/// <param name="LastTransition">The last state change and its cause; null before the first.</param>
/// <param name="Transitions">State changes since start, by the state entered.</param>
/// <param name="VipFailures">VIP operations (add, renew, release) that failed since start.</param>
/// <param name="MasterHeardAgo">BACKUP: how long ago a live master last advertised, while within Master_Down_Interval
/// (<see cref="VrrpStateMachine.MasterHeardAgo"/>); null when no live master is heard.</param>
/// <param name="IneligibleCause">Why the last health verdict made the node ineligible (its Redis check, or a rule that holds
/// it back such as a replica that never completed a sync); null while that verdict is eligible. A missing quorum is the
/// cluster's line, not this.</param>
public sealed record VrrpStatus(VrrpState State, byte Priority, bool Eligible, IPAddress? Master, long AdvertsSent, IReadOnlyDictionary<DropReason, long> Drops,
    VrrpStateChange? LastTransition = null, IReadOnlyDictionary<VrrpState, long>? Transitions = null, long VipFailures = 0,
    TimeSpan? MasterHeardAgo = null, string? IneligibleCause = null);

/// <summary>One VRRP state change, as shown by the status endpoint.</summary>
/// <param name="From">State left.</param>
/// <param name="To">State entered.</param>
/// <param name="Cause">Why, as logged (e.g. "no advert for 0.65 s from 192.0.2.1").</param>
/// <param name="At">Wall-clock time of the change (UTC).</param>
public sealed record VrrpStateChange(VrrpState From, VrrpState To, string Cause, DateTimeOffset At);

/// <summary>Reloaded VRRP settings (only runtime keys differ, <see cref="Configuration.ReloadPlan"/>): the VRRP actor
/// takes them without a state change.</summary>
public sealed record VrrpSettingsChanged(Configuration.VrrpSettings Settings);
