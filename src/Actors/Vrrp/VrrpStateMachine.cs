using System.Globalization;
using System.Net;
using RedisHaActors.Configuration;
using RedisHaActors.Primitives;

namespace RedisHaActors.Vrrp;

/// <summary>
/// The VRRPv3 state machine of RFC 5798 §6.4 as a pure function
/// <c>(state, event, now) -> (state, actions)</c>: no I/O, no clock. Extensions over the RFC,
/// all from keepalived or this product's design:
/// <list type="bullet">
/// <item>nopreempt (<see cref="VrrpSettings.Preempt"/> off), as RFC 5798 §6.4.2 Preempt_Mode.</item>
/// <item>Yield: a master whose Redis became ineligible sends priority 0, releases the VIP and
/// stays BACKUP without a Master_Down_Timer until it is eligible again.</item>
/// </list>
/// </summary>
public sealed class VrrpStateMachine
{
    private readonly VrrpSettings _settings;
    private readonly IPAddress _primaryAddress;
    private readonly IReadOnlyList<IPAddress> _addresses;

    /// <summary>Creates the machine for one instance.</summary>
    /// <param name="settings">Validated VRRP settings.</param>
    /// <param name="primaryAddress">This node's primary IPv4 address on the interface (the advert source, RFC 5798 §6.4.3 tie-break).</param>
    public VrrpStateMachine(VrrpSettings settings, IPAddress primaryAddress)
    {
        _settings = settings;
        _primaryAddress = primaryAddress;
        _addresses = settings.VirtualAddresses.Select(v => v.Address).ToArray();
    }

    /// <summary>Advertisement_Interval in centiseconds.</summary>
    public ushort AdvertIntervalCentiseconds => _settings.AdvertIntervalCentiseconds;

    /// <summary>The advert this node sends at <paramref name="priority"/>.</summary>
    public VrrpAdvertisement Advertisement(byte priority) =>
        new((byte)_settings.Version, _settings.VirtualRouterId, priority, _settings.AdvertIntervalCentiseconds, _addresses);

    /// <summary>RFC 3768 §6.1 (VRRPv2) Skew_Time = (256 - Priority) / 256 seconds, not scaled by the interval.</summary>
    public static TimeSpan SkewTimeV2(byte priority) => TimeSpan.FromMilliseconds((256 - priority) * 1000 / 256.0);

    /// <summary>RFC 3768 §6.1 (VRRPv2) Master_Down_Interval = 3 * Advertisement_Interval + Skew_Time.</summary>
    public static TimeSpan MasterDownIntervalV2(byte priority, ushort advertIntervalCs) =>
        TimeSpan.FromMilliseconds(3 * advertIntervalCs * 10) + SkewTimeV2(priority);

    /// <summary>RFC 5798 §6.1 Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.</summary>
    public static TimeSpan SkewTime(byte priority, ushort masterAdverIntervalCs) =>
        TimeSpan.FromMilliseconds((256 - priority) * masterAdverIntervalCs * 10 / 256.0);

    /// <summary>RFC 5798 §6.1 Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.</summary>
    public static TimeSpan MasterDownInterval(byte priority, ushort masterAdverIntervalCs) =>
        TimeSpan.FromMilliseconds(3 * masterAdverIntervalCs * 10) + SkewTime(priority, masterAdverIntervalCs);

    /// <summary>Applies one event at monotonic time <paramref name="now"/>.</summary>
    public VrrpTransition Handle(VrrpInstanceState s, VrrpEvent e, TimeSpan now)
    {
        // Whatever arrives first after a stall (an advert may be queued before the timer), a
        // master whose lease has run out must not act on it as master, least of all renew.
        if (e is not Shutdown && LeaseLapsed(s, now) is { } lapsed) return lapsed;
        if (e is LinkChanged link) return OnLink(s, link, now);
        if (s.State == VrrpState.Fault)
        {
            // Nothing moves while the link is gone, but keep the health facts for when it returns.
            return e switch
            {
                HealthChanged h => new VrrpTransition(s with { Priority = h.EffectivePriority, Eligible = h.Eligible, InSync = h.InSync }, []),
                QuorumVerdict q => new VrrpTransition(s with { Quorum = q.HasQuorum }, []),
                ClusterMastersSeen c => new VrrpTransition(s with { ClusterMasters = c.Masters }, []),
                ClusterMasterGone g => new VrrpTransition(s with { GoneMaster = g.Address, GoneAt = now }, []),
                MaintenanceVerdict m => OnMaintenance(s, m),
                Shutdown => OnShutdown(s),
                _ => new VrrpTransition(s, []),
            };
        }
        return Dispatch(s, e, now);
    }

    private VrrpTransition OnLink(VrrpInstanceState s, LinkChanged link, TimeSpan now)
    {
        if (!link.Up && s.State is VrrpState.Master or VrrpState.Backup)
            return EnterFault(s, link.Cause);
        if (link.Up && s.State == VrrpState.Fault)
        {
            // Listen first, as at start-up: a master that kept running on the other side wins.
            var actions = new List<VrrpAction>(1);
            return new VrrpTransition(EnterListening(s, now, link.Cause, actions), actions);
        }
        return new VrrpTransition(s, []);
    }

    private VrrpTransition Dispatch(VrrpInstanceState s, VrrpEvent e, TimeSpan now) => e switch
    {
        Startup => OnStartup(s, now),
        Shutdown => OnShutdown(s),
        AdvertisementReceived a => OnAdvert(s, a.Packet, now),
        TimerElapsed => OnTimer(s, now),
        HealthChanged h => OnHealth(s, h, now),
        QuorumVerdict q => OnQuorum(s, q, now),
        ClusterMastersSeen c => OnClusterMasters(s, c, now),
        ClusterMasterGone g => OnMasterGone(s, g, now),
        VirtualAddressesFailed f => OnVipFailed(s, f, now),
        MaintenanceVerdict m => OnMaintenance(s, m),
        _ => new VrrpTransition(s, []),
    };

    private static VrrpTransition OnMaintenance(VrrpInstanceState s, MaintenanceVerdict m)
    {
        if (m.Paused == s.Paused) return new VrrpTransition(s, []);
        var next = s with { Paused = m.Paused };
        // A master renews at once with the new lifetime (none while paused); a backup leaving the pause drops
        // a VIP it kept from a paused start (absent: nothing to do).
        if (s.State == VrrpState.Master) return new VrrpTransition(next, [new RenewVirtualAddresses()]);
        return new VrrpTransition(next, m.Paused ? [] : [new ReleaseVirtualAddresses()]);
    }

    /// <summary>
    /// How long a master that failed to add or renew its VIP stays out of MASTER (no takeover, no
    /// preemption): long enough for a peer to take over (it does after Skew_Time, the yield sends
    /// priority 0) and to see a few renewals through, short enough that a transient netlink error
    /// does not keep a lone node without its VIP for long. 10 s.
    /// </summary>
    public static readonly TimeSpan VipFailureHold = TimeSpan.FromSeconds(10);

    /// <summary>How often a master renews the VIP lease: a quarter of the lease.</summary>
    public TimeSpan RenewalInterval => _settings.VipLease / 4;

    /// <summary>The VIP lease a MASTER holds (from its last acquire or renewal); null unless MASTER.</summary>
    public Lease? LeaseOf(VrrpInstanceState s) =>
        s.State == VrrpState.Master && s.LastRenewalAt is { } renewed ? new Lease(renewed, s.Paused ? Lease.NoExpiry : _settings.VipLease) : null;

    /// <summary>When the actor should next deliver <see cref="TimerElapsed"/>; null when no timer is armed.</summary>
    public TimeSpan? NextDeadline(VrrpInstanceState s)
    {
        var next = s.NextDeadline;
        if (s.State == VrrpState.Master && s.LastRenewalAt is { } renewed)
        {
            var renewAt = renewed + RenewalInterval;
            if (next is null || renewAt < next) next = renewAt;
        }
        return next;
    }

    private TimeSpan DownInterval(VrrpInstanceState s) => _settings.Version == 2
        ? MasterDownIntervalV2(s.Priority, _settings.AdvertIntervalCentiseconds)
        : MasterDownInterval(s.Priority, s.MasterAdverIntervalCentiseconds);

    private TimeSpan Skew(VrrpInstanceState s) => _settings.Version == 2
        ? SkewTimeV2(s.Priority)
        : SkewTime(s.Priority, s.MasterAdverIntervalCentiseconds);

    /// <summary>keepalived's preempt_delay: no preemption until this long after start-up.</summary>
    private bool PreemptAllowed(VrrpInstanceState s, TimeSpan now) =>
        _settings.Preempt && s.InSync && (s.StartedAt is not { } started || now - started >= _settings.PreemptDelay) && !HeldBack(s, now);

    /// <summary>
    /// How long ago a live master last advertised, as this BACKUP hears it: the master it follows, or a lower-priority one
    /// it is about to preempt, while that advert is younger than Master_Down_Interval. Null when no live master is heard:
    /// none yet, it fell silent, or it left with a priority-0 advert; and in any other state (a MASTER hears none but itself).
    /// An operator's forced promotion (redis-ha promote) is refused while a master is heard.
    /// </summary>
    /// <param name="s">The instance state.</param>
    /// <param name="now">Monotonic now.</param>
    public TimeSpan? MasterHeardAgo(VrrpInstanceState s, TimeSpan now)
    {
        if (s.State != VrrpState.Backup) return null;
        var heard = s.MasterAddress is not null ? s.LastAdvertAt : null;
        if (s.PreemptedMaster is not null && s.PreemptedHeardAt is { } preempted && (heard is null || preempted > heard)) heard = preempted;
        return heard is { } at && now - at < DownInterval(s) ? now - at : null;
    }

    /// <summary>Within <see cref="VipFailureHold"/> after a VIP failure: no takeover, no preemption.</summary>
    private static bool HeldBack(VrrpInstanceState s, TimeSpan now) => s.VipHoldUntil is { } until && now < until;

    /// <summary>A takeover deadline, pushed to the end of a VIP-failure hold.</summary>
    private static TimeSpan NotBeforeHold(VrrpInstanceState s, TimeSpan at) => s.VipHoldUntil is { } until && until > at ? until : at;

    /// <summary>Arms Master_Down_Timer from now, or disarms it while not eligible (a yielded node never takes over).</summary>
    private VrrpInstanceState ArmMasterDown(VrrpInstanceState s, TimeSpan now) =>
        s with { MasterDownTimer = s.CanTakeOver ? NotBeforeHold(s, now + DownInterval(s)) : null };

    // One function per transition, as keepalived's vrrp_state_leave_master, vrrp_state_become_master
    // and vrrp_state_goto_fault: every path out of a state clears the same fields, whatever the trigger.

    /// <summary>
    /// The only way out of MASTER: the master-only fields (<see cref="VrrpInstanceState.AdverTimer"/>,
    /// <see cref="VrrpInstanceState.LastRenewalAt"/>) cleared and the VIP released, after a priority-0
    /// advert when <paramref name="announceLeaving"/> (RFC 5798 §6.4.3: a master that leaves says so, so
    /// a backup takes over after Skew_Time). The caller enters the next state, which sets <c>State</c>.
    /// </summary>
    private static VrrpInstanceState LeaveMaster(VrrpInstanceState s, bool announceLeaving, List<VrrpAction> actions)
    {
        if (announceLeaving) actions.Add(new SendAdvertisement(0));
        actions.Add(new ReleaseVirtualAddresses());
        return s with { AdverTimer = null, LastRenewalAt = null };
    }

    /// <summary>Out of whatever state for one that holds nothing (FAULT, INITIALIZE): a master leaves as
    /// <see cref="LeaveMaster"/> with a priority-0 advert, any other state still releases (a stale VIP).</summary>
    private static VrrpInstanceState LeaveForIdle(VrrpInstanceState s, List<VrrpAction> actions)
    {
        if (s.State == VrrpState.Master) s = LeaveMaster(s, announceLeaving: true, actions);
        else actions.Add(new ReleaseVirtualAddresses());
        return s with { MasterDownTimer = null };
    }

    /// <summary>Enters MASTER (RFC 5798 §6.4.2 on Master_Down_Timer): advert now, VIP acquired, lease started.</summary>
    private VrrpTransition EnterMaster(VrrpInstanceState s, TimeSpan now, string cause, IPAddress? previous, bool previousAlive, TimeSpan? previousSilentFor)
    {
        var next = s with
        {
            State = VrrpState.Master,
            MasterDownTimer = null,
            AdverTimer = now + Interval(_settings.AdvertIntervalCentiseconds),
            MasterAddress = null,
            LastRenewalAt = now,
            PreemptedMaster = null,
            PreemptedHeardAt = null,
            VipHoldUntil = null,
        };
        return new VrrpTransition(next,
        [
            new SendAdvertisement(s.Priority),
            new AcquireVirtualAddresses(),
            new StateChanged(s.State, VrrpState.Master, cause, null, previous, previousAlive, previousSilentFor),
        ]);
    }

    /// <summary>Enters BACKUP with no master known (start-up, link back, yield, no quorum, lapsed lease):
    /// Master_Adver_Interval is our own until a master is heard, Master_Down_Timer armed if we may take over.</summary>
    private VrrpInstanceState EnterListening(VrrpInstanceState s, TimeSpan now, string cause, List<VrrpAction> actions)
    {
        actions.Add(new StateChanged(s.State, VrrpState.Backup, cause, null, null));
        return ArmMasterDown(s with
        {
            State = VrrpState.Backup,
            MasterAdverIntervalCentiseconds = _settings.AdvertIntervalCentiseconds,
            MasterAddress = null,
            LastAdvertAt = null,
        }, now);
    }

    /// <summary>BACKUP following <paramref name="master"/> (RFC 5798 §6.4.2 accepting an advert, or §6.4.3
    /// a master hearing a better one): also used within BACKUP, where it only re-arms the timer.</summary>
    private VrrpInstanceState Follow(VrrpInstanceState s, IPAddress master, ushort masterAdverIntervalCs, TimeSpan now) =>
        ArmMasterDown(s with
        {
            State = VrrpState.Backup,
            MasterAdverIntervalCentiseconds = masterAdverIntervalCs,
            MasterAddress = master,
            LastAdvertAt = now,
            PreemptedMaster = null,
            PreemptedHeardAt = null,
            LeftMaster = null,
            LeftAt = null,
            SilentPathWarned = false,
        }, now);

    /// <summary>MASTER steps down to follow a better master: no priority-0 advert, the better one is advertising.</summary>
    private VrrpTransition MasterToFollowing(VrrpInstanceState s, IPAddress master, ushort masterAdverIntervalCs, TimeSpan now, string cause)
    {
        var actions = new List<VrrpAction>(2);
        var next = Follow(LeaveMaster(s, announceLeaving: false, actions), master, masterAdverIntervalCs, now);
        actions.Add(new StateChanged(VrrpState.Master, VrrpState.Backup, cause, master, master));
        return new VrrpTransition(next, actions);
    }

    /// <summary>MASTER gives the VIP up with nobody to follow (yield, no quorum, lapsed lease).</summary>
    private VrrpTransition MasterToListening(VrrpInstanceState s, TimeSpan now, bool announceLeaving, string cause)
    {
        var actions = new List<VrrpAction>(3);
        var next = EnterListening(LeaveMaster(s, announceLeaving, actions), now, cause, actions);
        return new VrrpTransition(next, actions);
    }

    /// <summary>keepalived's FAULT: the interface is down or lost its address; nothing is held, nothing is timed.</summary>
    private static VrrpTransition EnterFault(VrrpInstanceState s, string cause)
    {
        // A link that is up but lost its address can still carry the priority-0 advert; a dead one drops it.
        var actions = new List<VrrpAction>(3);
        var next = LeaveForIdle(s, actions) with
        {
            State = VrrpState.Fault, MasterAddress = null, LastAdvertAt = null, PreemptedMaster = null, PreemptedHeardAt = null,
        };
        actions.Add(new StateChanged(s.State, VrrpState.Fault, cause, null, s.MasterAddress));
        return new VrrpTransition(next, actions);
    }

    private VrrpTransition OnStartup(VrrpInstanceState s, TimeSpan now)
    {
        if (s.State != VrrpState.Initialize) return new VrrpTransition(s, []);
        // A node always starts BACKUP (never as owner) and first removes any VIP left by an earlier run.
        // Unless it starts paused: then the VIP it finds is the one it held before this process restarted.
        var actions = new List<VrrpAction>(2);
        if (!s.Paused) actions.Add(new ReleaseVirtualAddresses());
        var next = EnterListening(s with { StartedAt = now }, now, s.Paused ? "startup (paused: a VIP held before is kept)" : "startup", actions);
        return new VrrpTransition(next, actions);
    }

    private static VrrpTransition OnShutdown(VrrpInstanceState s)
    {
        if (s is { Paused: true, State: VrrpState.Master })
        {
            // Maintenance: the VIP stays, renewed with no expiry, for the next start of this node; no goodbye advert.
            var kept = s with { State = VrrpState.Initialize, MasterDownTimer = null, AdverTimer = null, LastRenewalAt = null };
            return new VrrpTransition(kept, [new StateChanged(s.State, VrrpState.Initialize, "shutdown while paused: the VIP stays (no expiry) for the next start", null, null)]);
        }
        var actions = new List<VrrpAction>(3);
        var next = LeaveForIdle(s, actions) with { State = VrrpState.Initialize };
        if (s.State != VrrpState.Initialize)
            actions.Add(new StateChanged(s.State, VrrpState.Initialize, "shutdown", null, s.MasterAddress));
        return new VrrpTransition(next, actions);
    }

    private VrrpTransition OnAdvert(VrrpInstanceState s, ReceivedAdvertisement p, TimeSpan now)
    {
        // A master proven gone that advertises again is back (restarted): its claims count again.
        if (p.Source.Equals(s.GoneMaster)) s = s with { GoneMaster = null, GoneAt = null };
        var advert = p.Advertisement;
        switch (s.State)
        {
            case VrrpState.Backup:
            {
                if (advert.Priority == 0)
                {
                    // §6.4.2: the master is leaving; take over after Skew_Time instead of Master_Down_Interval.
                    var timer = s.CanTakeOver ? NotBeforeHold(s, now + Skew(s)) : (TimeSpan?)null;
                    return new VrrpTransition(s with { MasterDownTimer = timer, LastAdvertAt = null, MasterAddress = s.MasterAddress ?? p.Source, LeftMaster = p.Source, LeftAt = now }, []);
                }
                if (advert.Priority >= s.Priority || !PreemptAllowed(s, now))
                {
                    var next = Follow(s, p.Source, p.Advertisement.MaxAdvertIntervalCentiseconds, now);
                    var actions = Equals(s.MasterAddress, p.Source) ? Array.Empty<VrrpAction>() : [new MasterChanged(p.Source)];
                    return new VrrpTransition(next, actions);
                }
                // Preempt on and the advert is from a lower priority: let Master_Down_Timer run out,
                // remembering whom we are about to preempt (its Redis must be caught up with).
                return new VrrpTransition(s with { PreemptedMaster = p.Source, PreemptedHeardAt = now, PreemptedPriority = advert.Priority }, []);
            }
            case VrrpState.Master:
            {
                if (advert.Priority == 0)
                {
                    // §6.4.3: another master is leaving; assert ourselves at once.
                    return new VrrpTransition(
                        s with { AdverTimer = now + Interval(_settings.AdvertIntervalCentiseconds), LastRenewalAt = now },
                        [new SendAdvertisement(s.Priority), new RenewVirtualAddresses()]);
                }
                if (advert.Priority > s.Priority || (advert.Priority == s.Priority && Ipv4Order.Compare(p.Source, _primaryAddress) > 0))
                {
                    var cause = advert.Priority > s.Priority
                        ? $"higher priority {advert.Priority} from {p.Source}"
                        : $"equal priority {advert.Priority} from higher address {p.Source}";
                    return MasterToFollowing(s, p.Source, advert.MaxAdvertIntervalCentiseconds, now, cause);
                }
                // A lower-priority node believes it is master (it missed our adverts): assert at
                // once and re-announce, so neighbours drop its MAC for the VIP (keepalived does too).
                return new VrrpTransition(
                    s with { AdverTimer = now + Interval(_settings.AdvertIntervalCentiseconds) },
                    [new SendAdvertisement(s.Priority), new AnnounceVirtualAddresses()]);
            }
            default:
                return new VrrpTransition(s, []);
        }
    }

    private VrrpTransition OnTimer(VrrpInstanceState s, TimeSpan now)
    {
        if (s.State == VrrpState.Backup && s.MasterDownTimer is { } down && now >= down && s.CanTakeOver)
        {
            var preempting = s.PreemptedMaster is not null && s.PreemptedHeardAt is { } heard && now - heard < DownInterval(s);
            if (!preempting && AliveClusterMaster(s, now) is { } alive)
            {
                // No advert, yet the master is Up and reachable in the cluster: the VRRP path is
                // broken, not the master. Taking over would make two masters; keep listening.
                // Unless its processes are provably gone (the node asks; ClusterMasterGone answers).
                var again = s with { MasterDownTimer = now + DownInterval(s), SilentPathWarned = true };
                return new VrrpTransition(again, s.SilentPathWarned ? [new ProbeSilentMaster(alive.Address)] :
                [
                    new Warn($"no VRRP advert for {Seconds(DownInterval(s))} s, but master {alive.Address} (priority {alive.Priority}) is up and reachable " +
                             "in the cluster: not taking over. The VRRP path looks broken (IP protocol 112 filtered, multicast, or VRID/address mismatch)"),
                    new ProbeSilentMaster(alive.Address),
                ]);
            }
            // LastAdvertAt is cleared by a priority-0 advert, so a master that left says so.
            var cause = preempting
                ? $"preempt: priority {s.Priority} over master {s.PreemptedMaster} (priority {s.PreemptedPriority})"
                : s.LastAdvertAt is { } last && s.MasterAddress is not null
                    ? $"no advert for {Seconds(now - last)} s from {s.MasterAddress}"
                    : s.MasterAddress is null ? $"no master heard for {Seconds(DownInterval(s))} s" : $"master {s.MasterAddress} left (priority 0 advert)";
            var previous = preempting ? s.PreemptedMaster : s.MasterAddress;
            return EnterMaster(s, now, cause, previous, preempting,
                !preempting && s.LastAdvertAt is { } heardLast && s.MasterAddress is not null ? now - heardLast : null);
        }
        if (s.State == VrrpState.Master)
        {
            var actions = new List<VrrpAction>(2);
            var next = s;
            if (s.AdverTimer is { } adver && now >= adver)
            {
                // Schedule from the previous deadline so adverts do not drift; skip missed slots after a stall.
                var interval = Interval(_settings.AdvertIntervalCentiseconds);
                var nextAt = adver + interval;
                if (nextAt <= now) nextAt = now + interval;
                next = next with { AdverTimer = nextAt };
                actions.Add(new SendAdvertisement(s.Priority));
            }
            // Renew a few times per lease, independent of the advert interval (which may exceed the lease).
            if (s.LastRenewalAt is { } last && now - last >= RenewalInterval)
            {
                next = next with { LastRenewalAt = now };
                actions.Add(new RenewVirtualAddresses());
            }
            return new VrrpTransition(next, actions);
        }
        return new VrrpTransition(s, []);
    }

    /// <summary>How long after a priority-0 advert that master's MASTER gossip is taken as stale: gossip
    /// (500 ms rounds) may still carry the old state; later it is news (it came back as master).</summary>
    public static readonly TimeSpan LeftMasterGrace = TimeSpan.FromSeconds(2);

    /// <summary>A reachable cluster peer claiming MASTER, other than one that just announced it is leaving.</summary>
    private static ClusterMaster? AliveClusterMaster(VrrpInstanceState s, TimeSpan now) =>
        LiveClaims(s, s.ClusterMasters ?? [], now).FirstOrDefault();

    /// <summary>The MASTER claims in <paramref name="masters"/> that are news: a master that sent priority 0
    /// less than <see cref="LeftMasterGrace"/> ago is leaving, and one proven gone less than
    /// <see cref="GoneMasterGrace"/> ago is dead, whatever its gossip still says.</summary>
    private static IEnumerable<ClusterMaster> LiveClaims(VrrpInstanceState s, IReadOnlyList<ClusterMaster> masters, TimeSpan now) =>
        masters.Where(m => !(m.Address.Equals(s.LeftMaster) && s.LeftAt is { } left && now - left < LeftMasterGrace)
                           && !(m.Address.Equals(s.GoneMaster) && s.GoneAt is { } gone && now - gone < GoneMasterGrace));

    /// <summary>
    /// How long the MASTER gossip of a master proven gone (<see cref="ClusterMasterGone"/>) is ignored: until the
    /// failure detector marks it unreachable (about 2 s after its last heartbeat), with margin.
    /// </summary>
    public static readonly TimeSpan GoneMasterGrace = TimeSpan.FromSeconds(10);

    private VrrpTransition OnMasterGone(VrrpInstanceState s, ClusterMasterGone g, TimeSpan now)
    {
        var next = s with { GoneMaster = g.Address, GoneAt = now };
        // The master we follow has been silent for Master_Down_Interval and only its gossip held us back:
        // take over now.
        return next.State == VrrpState.Backup && g.Address.Equals(next.MasterAddress)
               && next.LastAdvertAt is { } last && now - last >= DownInterval(next) && next.MasterDownTimer is not null
            ? OnTimer(next with { MasterDownTimer = now }, now)
            : new VrrpTransition(next, []);
    }

    private VrrpTransition OnQuorum(VrrpInstanceState s, QuorumVerdict q, TimeSpan now)
    {
        var next = s with { Quorum = q.HasQuorum };
        if (s.State == VrrpState.Master && !q.HasQuorum)
        {
            // A minority never holds the VIP: the majority side may already be taking over.
            return MasterToListening(next, now, announceLeaving: true, q.Cause);
        }
        if (s.State == VrrpState.Backup)
        {
            if (!q.HasQuorum)
                next = next with { MasterDownTimer = null };
            else if (!s.Quorum && next.CanTakeOver)
                // Quorum (re)gained: Master_Down_Interval starts now, so a live master is heard first.
                next = ArmMasterDown(next, now);
        }
        return new VrrpTransition(next, []);
    }

    private VrrpTransition OnClusterMasters(VrrpInstanceState s, ClusterMastersSeen c, TimeSpan now)
    {
        var next = s with { ClusterMasters = c.Masters };
        if (s.State != VrrpState.Master) return new VrrpTransition(next, []);
        // Two VRRP masters that cannot hear each other: the lower-ranked one (priority, then
        // primary address, as RFC 5798 §6.4.3) steps down and follows the other.
        // A master that just left (priority 0, then this node took over) still gossips MASTER for a moment:
        // stepping down for it would hand the VIP back to a node that is going away.
        var higher = LiveClaims(s, c.Masters, now)
            .FirstOrDefault(m => m.Priority > s.Priority || (m.Priority == s.Priority && Ipv4Order.Compare(m.Address, _primaryAddress) > 0));
        if (higher is null) return new VrrpTransition(next, []);
        // Its interval is not known (no advert reaches us): assume ours until one does.
        return MasterToFollowing(next, higher.Address, _settings.AdvertIntervalCentiseconds, now,
            $"cluster shows master {higher.Address} with priority {higher.Priority} that our VRRP does not hear (VRRP path broken?)");
    }

    private VrrpTransition OnHealth(VrrpInstanceState s, HealthChanged h, TimeSpan now)
    {
        var next = s with { Priority = h.EffectivePriority, Eligible = h.Eligible, InSync = h.InSync };
        if (s.State == VrrpState.Master && !h.Eligible)
        {
            // Yield: the VIP holder's Redis must be healthy, whatever preempt says.
            return MasterToListening(next, now, announceLeaving: true, $"yield: {h.Cause}");
        }
        if (s.State == VrrpState.Backup)
        {
            if (!h.Eligible)
                next = next with { MasterDownTimer = null };
            else if (s.MasterDownTimer is null && next.CanTakeOver)
                // Eligible again: behave as if just started listening, so a live master is heard first.
                next = ArmMasterDown(next, now);
        }
        return new VrrpTransition(next, []);
    }

    private VrrpTransition OnVipFailed(VrrpInstanceState s, VirtualAddressesFailed f, TimeSpan now)
    {
        // Only a master that could not add or renew lacks the VIP; a failed release is the past, and a
        // late report reaching a node that has already left MASTER has nothing left to undo.
        if (s.State != VrrpState.Master || f.Operation == VipOperation.Release) return new VrrpTransition(s, []);
        // Without the VIP our adverts would keep the peer following a master nobody can reach: say we
        // leave (priority 0, the peer takes over after Skew_Time) and stay out long enough for it to.
        var held = s with { VipHoldUntil = now + VipFailureHold };
        return MasterToListening(held, now, announceLeaving: true, $"VIP {f.Operation.ToString().ToLowerInvariant()} failed: {f.Error}");
    }

    private VrrpTransition? LeaseLapsed(VrrpInstanceState s, TimeSpan now)
    {
        if (LeaseOf(s) is not { } lease || !lease.LapsedAt(now)) return null;
        var renewed = lease.RenewedAt;
        // The kernel has already dropped the VIP: this process stalled longer than the lease.
        // Renewing late could bring the VIP back beside a new master, so listen again instead.
        // No priority-0 advert: the backup has long taken over (or will), a late goodbye only confuses it.
        return MasterToListening(s, now, announceLeaving: false, $"VIP lease lapsed: no renewal for {Seconds(now - renewed)} s (process stalled?)");
    }

    private static TimeSpan Interval(ushort cs) => TimeSpan.FromMilliseconds(cs * 10);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
}
