using System.Net;

namespace RedisHaActors.Vrrp;

/// <summary>
/// The whole state of one VRRP instance (RFC 5798 §6.1 state variables), immutable.
/// Times are monotonic offsets supplied by the caller.
/// </summary>
/// <param name="State">Current RFC state.</param>
/// <param name="Priority">Effective priority 1..254 now (base plus weight).</param>
/// <param name="Eligible">False while the local Redis is unhealthy: never becomes master.</param>
/// <param name="MasterAdverIntervalCentiseconds">Master_Adver_Interval learned from the master (cs).</param>
/// <param name="MasterDownTimer">When a backup takes over; null when disarmed.</param>
/// <param name="AdverTimer">When a master sends its next advert; null unless master.</param>
/// <param name="MasterAddress">Source of the master's adverts while backup; null if unknown.</param>
/// <param name="LastAdvertAt">When the master's last accepted advert arrived.</param>
/// <param name="LastRenewalAt">Master only: when the VIP lease was last acquired or renewed.</param>
/// <param name="InSync">The local Redis is a replica with its link up (may preempt).</param>
/// <param name="PreemptedMaster">Backup with preempt: a lower-priority master whose adverts we are ignoring.</param>
/// <param name="PreemptedHeardAt">When that master was last heard.</param>
/// <param name="PreemptedPriority">Its advertised priority.</param>
/// <param name="StartedAt">When <see cref="Startup"/> was handled (preempt-delay counts from here).</param>
/// <param name="Quorum">The cluster guard's verdict: false = never master (see <see cref="QuorumVerdict"/>).</param>
/// <param name="ClusterMasters">Reachable cluster peers that claim MASTER.</param>
/// <param name="LeftMaster">The master that announced it is leaving (priority 0); its MASTER gossip is
/// ignored for <see cref="VrrpStateMachine.LeftMasterGrace"/> after <paramref name="LeftAt"/> (gossip still in flight).</param>
/// <param name="LeftAt">When <paramref name="LeftMaster"/>'s priority-0 advert arrived.</param>
/// <param name="VipHoldUntil">After a failed VIP add or renew: no takeover or preemption before this time
/// (<see cref="VrrpStateMachine.VipFailureHold"/>), so a peer that can hold the VIP takes it.</param>
/// <param name="SilentPathWarned">The "VRRP silent but master alive in the cluster" warning was logged (once per episode).</param>
/// <param name="GoneMaster">A master whose processes were proven gone (<see cref="ClusterMasterGone"/>); its MASTER gossip is
/// ignored for <see cref="VrrpStateMachine.GoneMasterGrace"/> after <paramref name="GoneAt"/>, or until it advertises again.</param>
/// <param name="GoneAt">When that proof arrived.</param>
/// <param name="Paused">The set is in maintenance mode (<see cref="MaintenanceVerdict"/>): a master holds the VIP with no
/// expiry and keeps it when it stops; a node that starts paused keeps a VIP it finds (a paused holder's restart).</param>
public sealed record VrrpInstanceState(
    VrrpState State,
    byte Priority,
    bool Eligible,
    ushort MasterAdverIntervalCentiseconds,
    TimeSpan? MasterDownTimer,
    TimeSpan? AdverTimer,
    IPAddress? MasterAddress,
    TimeSpan? LastAdvertAt,
    TimeSpan? LastRenewalAt = null,
    bool InSync = false,
    IPAddress? PreemptedMaster = null,
    TimeSpan? PreemptedHeardAt = null,
    byte PreemptedPriority = 0,
    TimeSpan? StartedAt = null,
    bool Quorum = true,
    IReadOnlyList<ClusterMaster>? ClusterMasters = null,
    IPAddress? LeftMaster = null,
    bool SilentPathWarned = false,
    TimeSpan? LeftAt = null,
    TimeSpan? VipHoldUntil = null,
    IPAddress? GoneMaster = null,
    TimeSpan? GoneAt = null,
    bool Paused = false)
{
    /// <summary>May take over: the Redis check passed and the guard sees a quorum.</summary>
    public bool CanTakeOver => Eligible && Quorum;

    /// <summary>Initial state before <see cref="Startup"/>: not eligible until the first Redis check passes.</summary>
    /// <param name="priority">Configured priority.</param>
    /// <param name="advertIntervalCs">Advertisement_Interval, centiseconds.</param>
    /// <param name="quorumRequired">True when a cluster guard runs: no quorum until it says so.</param>
    public static VrrpInstanceState Initial(byte priority, ushort advertIntervalCs, bool quorumRequired = false) =>
        new(VrrpState.Initialize, priority, false, advertIntervalCs, null, null, null, null, Quorum: !quorumRequired);

    /// <summary>The earliest armed timer, when the actor should next deliver <see cref="TimerElapsed"/>.</summary>
    public TimeSpan? NextDeadline => (MasterDownTimer, AdverTimer) switch
    {
        ({ } a, { } b) => a < b ? a : b,
        ({ } a, null) => a,
        (null, { } b) => b,
        _ => null,
    };
}

/// <summary>Result of one step: the new state and what to do, in order.</summary>
/// <param name="State">State after the event.</param>
/// <param name="Actions">Effects for the actor, in execution order.</param>
public sealed record VrrpTransition(VrrpInstanceState State, IReadOnlyList<VrrpAction> Actions);
