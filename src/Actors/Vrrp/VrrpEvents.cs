using System.Net;

namespace RedisHaActors.Vrrp;

/// <summary>An input to <see cref="VrrpStateMachine"/>.</summary>
public abstract record VrrpEvent;

/// <summary>RFC 5798 §6.4.1 Startup event.</summary>
public sealed record Startup : VrrpEvent;

/// <summary>RFC 5798 §6.4.2/§6.4.3 Shutdown event: a master sends priority 0 and releases the VIP.</summary>
public sealed record Shutdown : VrrpEvent;

/// <summary>A decoded advert that passed the codec's checks.</summary>
/// <param name="Packet">The advert with its IP source.</param>
public sealed record AdvertisementReceived(ReceivedAdvertisement Packet) : VrrpEvent;

/// <summary>Time has passed; the machine fires whichever of its timers are due at <c>now</c>.</summary>
public sealed record TimerElapsed : VrrpEvent;

/// <summary>The local Redis check changed the node's effective priority or eligibility.</summary>
/// <param name="EffectivePriority">1..254, base priority plus weight while failing.</param>
/// <param name="Eligible">False while the check has failed <c>fall</c> times and not yet passed <c>rise</c> times.</param>
/// <param name="Cause">Why, for the transition log ("redis check failed 2 times: timeout").</param>
/// <param name="InSync">The local Redis is a replica with its master link up. Only then may this
/// node preempt a live lower-priority master: a Redis that is still syncing (or a restarted, empty
/// master) must not take the VIP from one that has the data.</param>
public sealed record HealthChanged(byte EffectivePriority, bool Eligible, string Cause, bool InSync = true) : VrrpEvent;

/// <summary>The VRRP interface went down or lost its IPv4 address (<paramref name="Up"/> false), or came back.</summary>
/// <param name="Up">Link up with an IPv4 address.</param>
/// <param name="Cause">What was seen, e.g. "eth0 operstate down".</param>
public sealed record LinkChanged(bool Up, string Cause) : VrrpEvent;

/// <summary>The cluster guard's verdict: without quorum a node never becomes master, and a master steps down.</summary>
/// <param name="HasQuorum">This node sees a majority of the voters (or the guard is off, or two voters in availability mode).</param>
/// <param name="Cause">The guard's explanation ("no quorum: sees 1 of 3 voters, needs 2").</param>
public sealed record QuorumVerdict(bool HasQuorum, string Cause) : VrrpEvent;

/// <summary>A peer that is Up and reachable in the cluster and gossips that it is VRRP MASTER.</summary>
/// <param name="Address">Its primary address on the VRRP interface (its advert source).</param>
/// <param name="Priority">Its effective priority.</param>
public sealed record ClusterMaster(IPAddress Address, byte Priority);

/// <summary>The set of <see cref="ClusterMaster"/>s changed (gossip or reachability).</summary>
/// <param name="Masters">Reachable peers that claim MASTER.</param>
public sealed record ClusterMastersSeen(IReadOnlyList<ClusterMaster> Masters) : VrrpEvent;

/// <summary>
/// The silent master's processes are provably gone (its Redis and cluster ports refuse connections), though
/// the cluster still shows it reachable (the failure detector has not caught up): its MASTER gossip is
/// ignored for <see cref="VrrpStateMachine.GoneMasterGrace"/>, and a backup whose Master_Down_Timer ran
/// out takes over at once.
/// </summary>
/// <param name="Address">The master's advert source.</param>
/// <param name="Proof">What proved it, for the log.</param>
public sealed record ClusterMasterGone(IPAddress Address, string Proof) : VrrpEvent;

/// <summary>A VIP operation, as reported back by <see cref="Net.IVirtualAddresses"/>.</summary>
public enum VipOperation
{
    /// <summary>Adding the addresses on becoming MASTER (RTM_NEWADDR with the lease lifetime).</summary>
    Acquire,
    /// <summary>Extending the lease while MASTER (RTM_NEWADDR replace).</summary>
    Renew,
    /// <summary>Removing the addresses (RTM_DELADDR).</summary>
    Release,
}

/// <summary>
/// A VIP operation failed (no CAP_NET_ADMIN, a netlink error, the interface gone). A MASTER whose
/// acquire or renew failed does not hold the VIP: it yields (priority-0 advert, BACKUP) and is held
/// back from MASTER for <see cref="VrrpStateMachine.VipFailureHold"/>, so a peer takes the VIP over.
/// </summary>
/// <param name="Operation">What failed.</param>
/// <param name="Error">The error, one line ("RTM_NEWADDR 192.0.2.100/24: operation not permitted (needs CAP_NET_ADMIN)").</param>
public sealed record VirtualAddressesFailed(VipOperation Operation, string Error) : VrrpEvent;

/// <summary>
/// The set's maintenance mode (<c>redis-ha pause</c>): while paused a MASTER renews its VIP with no expiry (so it
/// outlives a restart of this process) and keeps it when it stops (no priority-0 advert); who may take over is the
/// health gate's business (<see cref="HealthChanged.Eligible"/>). Leaving the pause, a master's next renewal is
/// the normal lease again and a backup removes a VIP it kept from a paused start.
/// </summary>
/// <param name="Paused">True while paused.</param>
public sealed record MaintenanceVerdict(bool Paused) : VrrpEvent;

/// <summary>An output of <see cref="VrrpStateMachine"/> for the actor to execute.</summary>
public abstract record VrrpAction;

/// <summary>Send one advert with this priority (0 = leaving).</summary>
/// <param name="Priority">0..254.</param>
public sealed record SendAdvertisement(byte Priority) : VrrpAction;

/// <summary>Add the virtual addresses and announce them with gratuitous ARP.</summary>
public sealed record AcquireVirtualAddresses : VrrpAction;

/// <summary>Renew the VIP lease (sent with every master advert; the actor rate-limits).</summary>
public sealed record RenewVirtualAddresses : VrrpAction;

/// <summary>Send a gratuitous ARP burst for the addresses we hold (no address change).</summary>
public sealed record AnnounceVirtualAddresses : VrrpAction;

/// <summary>Remove the virtual addresses.</summary>
public sealed record ReleaseVirtualAddresses : VrrpAction;

/// <summary>The state changed; logged and published to the role flipper.</summary>
/// <param name="From">Previous state.</param>
/// <param name="To">New state.</param>
/// <param name="Cause">Human-readable cause, e.g. "no advert for 3.66 s from 192.0.2.1".</param>
/// <param name="Master">The current master's address when known (null when we are master or none is known).</param>
/// <param name="PreviousMaster">The last master heard before this change (for promotion catch-up).</param>
/// <param name="PreviousMasterAlive">True when we preempted a master that was still advertising:
/// its Redis is expected to answer, so promotion must catch up with it rather than give up fast.</param>
/// <param name="PreviousMasterSilentFor">BACKUP -> MASTER after the master fell silent: time since its
/// last advert. Null when it announced its leaving (priority 0), was preempted, or none was heard.</param>
public sealed record StateChanged(VrrpState From, VrrpState To, string Cause, IPAddress? Master, IPAddress? PreviousMaster,
    bool PreviousMasterAlive = false, TimeSpan? PreviousMasterSilentFor = null) : VrrpAction;

/// <summary>Log one warning (the machine already rate-limits it).</summary>
/// <param name="Message">The line to log.</param>
public sealed record Warn(string Message) : VrrpAction;

/// <summary>A backup whose Master_Down_Timer ran out does not take over, since the cluster shows the master
/// up: ask whether its processes are gone (<see cref="ClusterMasterGone"/>). Once per Master_Down_Interval.</summary>
/// <param name="Master">The silent master's advert source.</param>
public sealed record ProbeSilentMaster(IPAddress Master) : VrrpAction;

/// <summary>The master we follow changed while we stayed BACKUP.</summary>
/// <param name="Master">New master address.</param>
public sealed record MasterChanged(IPAddress Master) : VrrpAction;
