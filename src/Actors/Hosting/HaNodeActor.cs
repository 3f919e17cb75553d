using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Control;
using RedisHaActors.Redis;
using RedisHaActors.Status;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// Supervisor of one node: creates the VRRP actor, the Redis monitor, the role flipper, (when seed
/// nodes are configured) the cluster guard and the status endpoint, and translates between them, so no
/// area speaks another's vocabulary: the monitor's verdict becomes VRRP's health input
/// (<see cref="Eligibility"/>), VRRP's state and the guard's quorum become the role flipper's
/// <see cref="RoleDirective"/> (<see cref="RoleTranslation"/>), the gossip becomes VRRP's cluster masters
/// and the Redis side's data peers, and what passes through becomes this node's gossiped
/// <see cref="PeerState"/> (<see cref="GossipMapping"/>). A failed child is stopped and re-created
/// (<see cref="ChildRestarts"/>: at once, then backing off) and given its inputs again at once, so the
/// node is back to full function within one check interval. A switchover runs as a child saga
/// (<see cref="SwitchoverActor"/>); an operator's forced promotion (<see cref="ForcedPromotion"/>) is one state field
/// that lifts the data rules until this node is master or the window ends. Answers <see cref="GetNodeStatus"/> by asking
/// its children.
/// </summary>
public sealed class HaNodeActor : ReceiveActor, IWithTimers
{
    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private const string Vrrp = "vrrp";
    private const string Monitor = "redis-monitor";
    private const string RoleFlip = "role-flip";
    private const string Guard = "cluster-guard";
    private const string StatusEndpoint = "status";

    private sealed record Recreate(string Child);

    /// <summary>What the node knows; replaced, never mutated.</summary>
    private sealed record NodeState(
        VrrpState Vrrp,
        IPAddress? Master,
        IPAddress? PreviousMaster,
        bool PreviousMasterAlive,
        TimeSpan? PreviousMasterSilentFor,
        QuorumView Quorum,
        RedisHealth? Health,
        ReplicationFacts? Facts,
        IReadOnlyList<PeerView> Peers,
        IReadOnlyList<DataPeer> DataPeers,
        string? Defer,
        string? HandingOverTo,
        bool SwitchedAway,
        VrrpLeaseRenewed? Lease,
        PeerState? Published,
        TimeSpan PublishedAt,
        IReadOnlyDictionary<string, IPAddress>? VoterVrrpAddresses = null,
        string? YieldHold = null,
        bool GoneProbeInFlight = false,
        MaintenanceMode Maintenance = MaintenanceMode.Off,
        MaintenanceState? MaintenanceState = null,
        bool PausedHolder = false,
        IReadOnlyList<string>? PendingRestart = null,
        TimeSpan? LastMove = null,
        string? DampingNote = null,
        IReadOnlyList<string>? Pending = null,
        IReadOnlyList<DataPeer>? Remembered = null,
        string? LossRefusal = null,
        Forcing? Forced = null);

    /// <summary>An accepted forced promotion while it runs.</summary>
    /// <param name="Line">As logged and answered (<see cref="ForcedPromotion.Decision.Line"/>).</param>
    /// <param name="ReplyTo">Gets the outcome.</param>
    /// <param name="At">When it was accepted (monotonic).</param>
    private sealed record Forcing(string Line, IActorRef ReplyTo, TimeSpan At);

    private sealed record ForceFacts(bool AcceptLoss, VrrpStatus? Vrrp, RoleFlipStatus? Flip, IActorRef ReplyTo);

    private sealed record ForceWindowEnded;

    private sealed record MasterGoneProbed(IPAddress Master, string? Proof);

    private sealed record YieldHoldEnded;

    private sealed record DampingEnded;

    private sealed record StandOffEnded;

    private HaSettings _settings;
    private readonly NodeIo _io;
    private readonly string _announceHost;
    private readonly IPAddress? _vrrpAddress;
    private readonly bool _guarded;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _children = new();
    private readonly ChildRestarts _restartPolicy;
    private readonly Dictionary<string, IReadOnlyList<TimeSpan>> _failures = new();
    private IRedisNode? _localRedis;
    private IActorRef _switchover = ActorRefs.Nobody;
    private long _switchovers;
    private NodeState _s;
    private DateTimeOffset _startedAt;
    private TimeSpan _startedClock;

    /// <summary>Longest wait for each child's status answer.</summary>
    public static readonly TimeSpan ChildStatusTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates the supervisor.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="io">External effects.</param>
    /// <param name="announceHost">How peers reach our Redis (announce-host or the interface address).</param>
    /// <param name="vrrpAddress">Primary address on the VRRP interface (gossiped so peers can match our adverts).</param>
    /// <param name="restarts">When to re-create a failed child; <see cref="ChildRestarts.Default"/> when null.</param>
    /// <param name="startPaused">The VIP was found on the interface with no expiry: this node held it in maintenance mode
    /// before it restarted, and keeps it (<see cref="MaintenancePolicy"/>).</param>
    public HaNodeActor(HaSettings settings, NodeIo io, string announceHost, IPAddress? vrrpAddress = null, ChildRestarts? restarts = null, bool startPaused = false)
    {
        _restartPolicy = restarts ?? ChildRestarts.Default;
        _settings = settings;
        _io = io;
        _announceHost = announceHost;
        _vrrpAddress = vrrpAddress;
        _guarded = settings.Cluster.Enabled;
        // Until the guard's first view arrives a guarded node has no quorum (availability mode: it has).
        var quorum = _guarded ? QuorumView.NotJoined(settings.Cluster.Voters.Count, settings.Cluster.QuorumRequired) : QuorumView.GuardOff;
        _s = new NodeState(VrrpState.Initialize, null, null, false, null, quorum, null, null, [], [], null, null, false, null, null, TimeSpan.Zero,
            Maintenance: _guarded ? MaintenanceMode.Unknown : MaintenanceMode.Off, PausedHolder: startPaused && _guarded);
        Receive<RedisHealth>(Handle);
        Receive<LocalRedisObserved>(Handle);
        Receive<VrrpStatusChanged>(Handle);
        Receive<VrrpMasterChanged>(Handle);
        Receive<VrrpMasterSilent>(Handle);
        Receive<MasterGoneProbed>(Handle);
        Receive<VrrpLeaseRenewed>(Handle);
        Receive<QuorumChanged>(Handle);
        Receive<PeersChanged>(Handle);
        Receive<Switchover>(Handle);
        Receive<ForcePromotion>(Handle);
        Receive<ForceFacts>(Handle);
        Receive<ForceWindowEnded>(_ => EndForced(null));
        Receive<SwitchoverActor.HandingOver>(Handle);
        Receive<SwitchoverActor.Ended>(Handle);
        Receive<PreemptionYielded>(Handle);
        Receive<YieldHoldEnded>(Handle);
        Receive<DampingEnded>(_ => Regate());
        Receive<StandOffEnded>(Handle);
        Receive<LossBoundChanged>(Handle);
        Receive<GetVrrpStatus>(m => Child(Vrrp).Forward(m));
        Receive<GetNodeStatus>(Handle);
        Receive<Reload>(Handle);
        Receive<SetMaintenance>(Handle);
        Receive<MaintenanceChanged>(Handle);
        Receive<MaintenanceStored>(Handle);
        Receive<Recreate>(m => Create(m.Child));
        Receive<Terminated>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(HaSettings settings, NodeIo io, string announceHost, IPAddress? vrrpAddress = null, ChildRestarts? restarts = null,
        bool startPaused = false) =>
        Akka.Actor.Props.Create(() => new HaNodeActor(settings, io, announceHost, vrrpAddress, restarts, startPaused));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info($"starting node: {_settings.Summary()}");
        _startedAt = DateTimeOffset.UtcNow;
        _startedClock = _io.Clock.Now;
        _localRedis = _io.Redis.Create(_settings.Redis.Host, _settings.Redis.Port);
        if (_s.PausedHolder)
            _log.Warning("started in maintenance mode: the VIP is on {0} with no expiry (this node held it while the set was paused); keeping it",
                _settings.Vrrp.Interface);
        if (!_guarded)
            _log.Warning("cluster guard off (akka.cluster.seed-nodes is empty): VRRP alone decides, so a partition can give two masters");
        Create(RoleFlip);
        Create(Vrrp);
        Create(Monitor);
        if (_guarded) Create(Guard);
        if (_settings.StatusEndpoint.Listen is not null) Create(StatusEndpoint);
    }

    private IActorRef Child(string name) => _children.GetValueOrDefault(name, ActorRefs.Nobody);

    /// <summary>Creates (or re-creates) a child, watches it, and gives it every input it needs at once.</summary>
    private void Create(string name)
    {
        IActorRef child;
        switch (name)
        {
            case RoleFlip:
                _s = _s with { LossRefusal = null }; // the new one tells its own
                child = Context.ActorOf(RoleFlipActor.Props(_settings.Redis, _localRedis!, _io.Redis, _announceHost, _io.Clock,
                    _guarded ? _settings.Vrrp.AdvertInterval : null), name);
                // Before the first directive: it never follows a master that is not a known peer.
                child.Tell(new KnownPeersChanged(KnownSources().Allowed));
                child.Tell(DirectiveFor("node started"));
                child.Tell(new DataPeersChanged(_s.DataPeers));
                if (_s.Lease is { } lease && _s.Vrrp == VrrpState.Master) child.Tell(ToRedis(lease));
                break;
            case Vrrp:
                // Paused, a re-created VRRP actor keeps the VIP its predecessor left with no expiry.
                child = Context.ActorOf(VrrpActor.Props(_settings.Vrrp, _io.OpenTransport, _io.CreateVirtualAddresses, Self, _io.Clock, _guarded,
                    _s.PausedHolder || _s.Maintenance == MaintenanceMode.Paused), name);
                if (_s.Maintenance != MaintenanceMode.Unknown) child.Tell(new MaintenanceVerdict(_s.Maintenance == MaintenanceMode.Paused));
                child.Tell(new AdvertSourcesChanged(KnownSources()));
                if (_s.Health is { } health) child.Tell(Gated(health));
                if (_guarded) child.Tell(MaintenancePolicy.Quorum(_s.Quorum, HoldingStill));
                if (_s.Peers.Count > 0) child.Tell(new ClusterMastersSeen(GossipMapping.Masters(_s.Peers)));
                break;
            case Monitor:
                // Its first check (at once) tells its verdict; nothing to replay.
                child = Context.ActorOf(RedisMonitorActor.Props(_settings.Redis, _settings.Vrrp.Priority, _localRedis!, Self, _io.Redis), name);
                break;
            case Guard:
                child = Context.ActorOf(ClusterGuardActor.Props(_settings.Cluster, Self), name);
                if (_s.Published is { } published) child.Tell(new PublishLocalState(published));
                break;
            case StatusEndpoint:
                // A switchover request waits for the preparation and the hand-over.
                child = Context.ActorOf(StatusEndpointActor.Props(_settings.StatusEndpoint.Listen!, Self, SwitchoverTimeout, _settings.StatusEndpoint.Token,
                    PromoteTimeout), name);
                break;
            default:
                throw new ArgumentException($"no child {name}", nameof(name));
        }
        _children[name] = child;
        Context.Watch(child);
    }

    private void Handle(Terminated m)
    {
        if (m.ActorRef.Equals(_switchover))
        {
            // A saga that crashed before it said it ended: the hand-over is off.
            _switchover = ActorRefs.Nobody;
            if (_s.HandingOverTo is not null) SetHandover(null, _s.SwitchedAway);
            return;
        }
        var name = _children.FirstOrDefault(kv => kv.Value.Equals(m.ActorRef)).Key;
        if (name is null) return;
        _children.Remove(name);
        var (failures, delay) = _restartPolicy.Failed(_failures.GetValueOrDefault(name, []), _io.Clock.Now);
        _failures[name] = failures;
        if (delay is not { } d)
        {
            // A node without VRRP, its monitor or its role flipper must not keep running half-alive.
            NodeFailedReason.GiveUp(Context.System, _log,
                $"{name} stopped after {failures.Count} failures in {_restartPolicy.Window.TotalSeconds:0} s");
            return;
        }
        _log.Warning("{0} stopped; re-creating it {1}", name, d == TimeSpan.Zero ? "now" : $"in {d.TotalSeconds:0.0} s");
        if (d == TimeSpan.Zero) Create(name);
        else Timers.StartSingleTimer(("recreate", name), new Recreate(name), d);
    }

    private void Handle(RedisHealth m)
    {
        _s = _s with { Health = m };
        Child(Vrrp).Tell(Gated(m));
        PublishState();
    }

    private HealthChanged Gated(RedisHealth h)
    {
        var damped = FailoverDamping.Damp(h, _s.Vrrp == VrrpState.Master, _s.LastMove, _io.Clock.Now, _settings.Vrrp.FailoverDamping);
        if (damped.Note != _s.DampingNote)
        {
            if (damped.Note is not null) _log.Warning("{0}", damped.Note);
            else if (_s.DampingNote is not null) _log.Info("damping ended: {0}", h.Cause);
            _s = _s with { DampingNote = damped.Note };
        }
        if (damped.Until is { } until) Timers.StartSingleTimer("damping", new DampingEnded(), until - _io.Clock.Now + TimeSpan.FromMilliseconds(1));
        return MaintenancePolicy.Gate(
            Eligibility.Gate(damped.Health, _s.Defer, _s.HandingOverTo, _s.SwitchedAway, _s.YieldHold, _s.Vrrp == VrrpState.Master, _s.Pending),
            _s.Maintenance, _s.Vrrp == VrrpState.Master || _s.PausedHolder);
    }

    /// <summary>Paused (or restarted holding a paused VIP): no role change, not even the fence of a node without quorum.</summary>
    private bool HoldingStill => _s.Maintenance == MaintenanceMode.Paused || _s.PausedHolder;

    private void Handle(VrrpMasterSilent m)
    {
        // The silent master still shows up in the cluster (the failure detector is slower than VRRP): a refused
        // connection on its cluster port proves its coordinator is gone, a timeout proves nothing. Its Redis is
        // the promotion's business (caught up with if it answers, fenced or proven gone otherwise).
        if (_s.GoneProbeInFlight || DataPeer.AdvertisingFrom(_s.DataPeers, m.Master) is not { } peer) return;
        _s = _s with { GoneProbeInFlight = true };
        ProcessGone.CoordinatorGoneAsync(peer.ClusterHost, peer.ClusterPort, _settings.Redis.PeerTimeout, CancellationToken.None)
            .PipeTo(Self, success: proof => new MasterGoneProbed(m.Master, proof), failure: _ => new MasterGoneProbed(m.Master, null));
    }

    private void Handle(MasterGoneProbed m)
    {
        _s = _s with { GoneProbeInFlight = false };
        if (m.Proof is null) return;
        _log.Warning("master {0} is gone though the cluster still shows it up: {1}", m.Master, m.Proof);
        Child(Vrrp).Tell(new ClusterMasterGone(m.Master, m.Proof));
    }

    private void Handle(PreemptionYielded m)
    {
        // Without the hold, VRRP would preempt again at once and pause the old master's writes once more.
        _s = _s with { YieldHold = $"{m.Reason} (held back {PromotionYielded.Hold.TotalSeconds:0} s)" };
        _log.Warning("gave the preemption back: the VIP goes back to the old master; no preemption for {0} s (a failover still may)", PromotionYielded.Hold.TotalSeconds);
        Timers.StartSingleTimer("yield-hold", new YieldHoldEnded(), PromotionYielded.Hold);
        Regate();
    }

    private void Handle(LossBoundChanged m)
    {
        var was = _s.LossRefusal;
        _s = _s with { LossRefusal = m.Refusal };
        UpdateDataPreference(quietFrom: was);
    }

    private void Handle(StandOffEnded m)
    {
        _s = _s with { Pending = [] };
        Regate();
    }

    private void Handle(YieldHoldEnded m)
    {
        _s = _s with { YieldHold = null };
        _log.Info("eligible again: the hold after a given-back preemption ended");
        Regate();
    }

    private void Regate()
    {
        if (_s.Health is { } h) Child(Vrrp).Tell(Gated(h));
    }

    private void Handle(LocalRedisObserved m)
    {
        _s = _s with { Facts = m.Probe.Passed ? m.Probe.Facts : null };
        Child(RoleFlip).Forward(m);
        if (!EndForcedIfDone()) UpdateDataPreference();
        PublishState();
    }

    private void Handle(VrrpStatusChanged m)
    {
        // The VIP moved to or from this node: the failover-damping window starts. Not at the first election
        // (MASTER with no previous master heard): that is no failover.
        var moved = _s.Vrrp == VrrpState.Master ? m.State != VrrpState.Master : m.State == VrrpState.Master && m.PreviousMaster is not null;
        _s = _s with
        {
            LastMove = moved ? _io.Clock.Now : _s.LastMove,
            Vrrp = m.State,
            Master = m.State == VrrpState.Backup ? m.Master : null,
            PreviousMaster = m.PreviousMaster ?? _s.PreviousMaster,
            PreviousMasterAlive = m.PreviousMasterAlive,
            PreviousMasterSilentFor = m.PreviousMasterSilentFor,
            Lease = m.State == VrrpState.Master ? _s.Lease : null,
        };
        Child(RoleFlip).Tell(DirectiveFor($"VRRP {m.State.ToString().ToUpperInvariant()} ({m.Cause})"));
        // From "hand the VIP back" to "no preemption"; pending peers and remembered histories gate only a backup; damping.
        if (!UpdateDataPreference() && (_s.YieldHold is not null || _s.Pending is { Count: > 0 } || moved)) Regate();
        if (m is { State: VrrpState.Backup, Master: { } master }) _switchover.Tell(new SwitchoverActor.MasterSeen(master));
        EndForcedIfDone();
        PublishState();
    }

    private void Handle(VrrpMasterChanged m)
    {
        _s = _s with { Master = m.Master, PreviousMaster = m.Master };
        Child(RoleFlip).Tell(DirectiveFor($"following master {m.Master}"));
        _switchover.Tell(new SwitchoverActor.MasterSeen(m.Master));
    }

    private void Handle(VrrpLeaseRenewed m)
    {
        _s = _s with { Lease = m };
        Child(RoleFlip).Tell(ToRedis(m));
    }

    // The same lease, on the same clock (NodeIo.Clock), as VRRP's state machine holds it.
    private static VipLeaseRenewed ToRedis(VrrpLeaseRenewed m) => new(m.Lease);

    private RoleDirective DirectiveFor(string cause) =>
        RoleTranslation.Directive(_s.Vrrp, _s.Master, _s.PreviousMaster, _s.PreviousMasterAlive, _s.PreviousMasterSilentFor,
            _s.Quorum.HasQuorum || HoldingStill ? null : _s.Quorum.Cause, cause);

    private void Handle(QuorumChanged m)
    {
        var regained = m.View.HasQuorum && !_s.Quorum.HasQuorum;
        _s = _s with { Quorum = m.View };
        Child(Vrrp).Tell(MaintenancePolicy.Quorum(m.View, HoldingStill));
        Child(RoleFlip).Tell(DirectiveFor(regained ? "quorum regained" : m.View.Cause));
    }

    private void Handle(PeersChanged m)
    {
        // Mapped once per gossip change, not on every check (DataPreference asks on each).
        var was = _s.Pending ?? [];
        var pending = m.Pending ?? [];
        IReadOnlyList<string> gate = pending;
        var pendingChanged = !was.SequenceEqual(pending);
        if (pending.Count > 0)
        {
            Timers.Cancel("stand-off");
            if (pendingChanged) _log.Info("waiting for {0} to publish its state before standing for election", string.Join(", ", pending));
        }
        else if (was.Count > 0 && !Timers.IsTimerActive("stand-off"))
        {
            var own = _s.Health?.EffectivePriority ?? _settings.Vrrp.Priority;
            var higher = GossipMapping.HigherBackup(m.Peers, _settings.Node.Name, own);
            var standOff = Eligibility.StandOffAfterWait(own, higher is not null);
            gate = [$"the stand-off by priority ({standOff.TotalMilliseconds:0} ms)"];
            pendingChanged = !was.SequenceEqual(gate);
            _log.Info("every reachable member has published its current state; standing for election in {0} ms (by priority{1})", standOff.TotalMilliseconds,
                higher is null ? "" : $", after {higher.Name} with priority {higher.Priority}");
            Timers.StartSingleTimer("stand-off", new StandOffEnded(), standOff);
        }
        else
        {
            gate = was;
            pendingChanged = false;
        }
        _s = _s with
        {
            Peers = m.Peers, DataPeers = GossipMapping.DataPeers(m.Peers), Pending = gate,
            Remembered = GossipMapping.DataPeers((m.Remembered ?? []).Select(p => new PeerView(p, false)).ToArray()),
        };
        var voterAddresses = GossipMapping.VoterVrrpAddresses(_s.VoterVrrpAddresses ?? new Dictionary<string, IPAddress>(), _settings.Cluster.Voters, m.Peers);
        if (!ReferenceEquals(voterAddresses, _s.VoterVrrpAddresses) && voterAddresses.Count > 0)
        {
            // Known peers first, so the role flipper knows a master before VRRP can follow it.
            _s = _s with { VoterVrrpAddresses = voterAddresses };
            Child(RoleFlip).Tell(new KnownPeersChanged(KnownSources().Allowed));
            Child(Vrrp).Tell(new AdvertSourcesChanged(KnownSources()));
        }
        Child(Vrrp).Tell(new ClusterMastersSeen(GossipMapping.Masters(m.Peers)));
        Child(RoleFlip).Tell(new DataPeersChanged(_s.DataPeers));
        if (!UpdateDataPreference() && pendingChanged) Regate();
    }

    /// <summary>Whose adverts VRRP accepts, and whom the role flipper may follow: configuration and the voters' gossip.</summary>
    private AdvertSources KnownSources() =>
        RedisHaActors.Vrrp.AdvertSources.From(_settings.Vrrp, _guarded ? _settings.Cluster : null, _s.VoterVrrpAddresses?.Values ?? []);

    /// <summary>Re-evaluates <see cref="DataPreference"/>; true when it changed (and VRRP was told).</summary>
    /// <param name="quietFrom">The previous max-loss refusal: moving from it to the current one (the same rule with new
    /// offsets, every check while the master takes writes) is a debug line, not another warning.</param>
    private bool UpdateDataPreference(string? quietFrom = null)
    {
        // An unanswered check tells nothing about the local Redis' data: a rule that held the node back holds until one
        // answers (lifted, a backup whose master-down timer ran out long ago is elected within the check's fall window).
        if (_s.Facts is null && _s.Defer is not null) return false;
        // A forced promotion lifts the rules an operator may override (max-loss among them) until it ends.
        var forced = _s.Forced is not null;
        var defer = DataPreference.Defer(_s.Facts, _s.DataPeers, _s.Remembered, _s.Vrrp == VrrpState.Master, forced)
                    ?? (_s.Vrrp == VrrpState.Master || forced ? null : _s.LossRefusal);
        if (defer == _s.Defer) return false;
        var was = _s.Defer;
        _s = _s with { Defer = defer };
        if (defer is not null && was is not null && was == quietFrom && defer == _s.LossRefusal) _log.Debug("not eligible for MASTER: {0}", defer);
        else if (defer is not null) _log.Warning("not eligible for MASTER: {0}", defer);
        else if (was is not null && forced) _log.Info("eligible for MASTER: the operator's forced promotion overrides the data rules until it ends");
        else if (was is not null) _log.Info("eligible again: no longer {0}", was);
        Regate();
        return true;
    }

    private void Handle(Switchover m)
    {
        if (_s.Maintenance == MaintenanceMode.Paused)
        {
            Sender.Tell(new SwitchoverResult(false, "refused: the set is paused (maintenance mode); redis-ha resume first"));
            return;
        }
        var refusal = SwitchoverPolicy.Refusal(m.To, _settings.Node.Name, _guarded, !_switchover.IsNobody(), _s.Vrrp, _s.Facts, _s.Peers, out var target);
        if (refusal is not null)
        {
            Sender.Tell(new SwitchoverResult(false, refusal));
            return;
        }
        _switchover = Context.ActorOf(SwitchoverActor.Props(_localRedis!, _io.Redis, target!, _settings.Redis, Sender), $"switchover-{++_switchovers}");
        Context.Watch(_switchover);
    }

    private void Handle(ForcePromotion m)
    {
        // The VRRP side (is a master heard?) and the loss estimate's base live in the children: ask, then decide.
        var (vrrp, roleFlip, replyTo, acceptLoss) = (Child(Vrrp), Child(RoleFlip), Sender, m.AcceptLoss);
        async Task<ForceFacts> GatherAsync()
        {
            var v = NodeStatusGatherer.AskOrNull<VrrpStatus>(vrrp, GetVrrpStatus.Instance, ChildStatusTimeout);
            var f = NodeStatusGatherer.AskOrNull<RoleFlipStatus>(roleFlip, GetRoleFlipStatus.Instance, ChildStatusTimeout);
            return new ForceFacts(acceptLoss, await v.ConfigureAwait(false), await f.ConfigureAwait(false), replyTo);
        }
        GatherAsync().PipeTo(Self);
    }

    private void Handle(ForceFacts m)
    {
        var decision = ForcedPromotion.Decide(new ForcedPromotion.Situation(_guarded, _s.Quorum, _s.Maintenance, _s.Forced?.Line, m.Vrrp, _s.Health,
            _s.Facts, _s.Peers, _s.DataPeers, _s.Remembered, _settings.Redis.MaxLoss, m.Flip?.LastKnownMasterOffset), m.AcceptLoss);
        if (decision.Refusal is { } refusal)
        {
            _log.Warning("redis-ha promote {0}", refusal);
            m.ReplyTo.Tell(new ControlResult(false, refusal));
            return;
        }
        _log.Warning(decision.Line);
        _s = _s with { Forced = new Forcing(decision.Line, m.ReplyTo, _io.Clock.Now) };
        Timers.StartSingleTimer("forced-promotion", new ForceWindowEnded(), ForceWindow);
        if (!UpdateDataPreference()) Regate();
    }

    /// <summary>Ends a forced promotion once this node holds the VIP over a master Redis; true when it did.</summary>
    private bool EndForcedIfDone()
    {
        if (_s.Forced is not { } forced || _s.Vrrp != VrrpState.Master || _s.Facts is not { Role: RedisRole.Master }) return false;
        EndForced($"this node holds the VIP and its Redis is master {(_io.Clock.Now - forced.At).TotalMilliseconds:0} ms after the command");
        return true;
    }

    /// <summary>Ends the forced promotion in effect: <paramref name="done"/> says how it succeeded; null = its window ended first.</summary>
    private void EndForced(string? done)
    {
        if (_s.Forced is not { } forced) return;
        Timers.Cancel("forced-promotion");
        _s = _s with { Forced = null };
        if (done is not null)
        {
            _log.Info("operator forced promotion done: {0}", done);
            forced.ReplyTo.Tell(new ControlResult(true, $"{forced.Line}; done: {done}"));
        }
        else
        {
            var redis = _s.Facts is { } f ? f.Role.ToString().ToLowerInvariant() : "not answering";
            var failed = $"failed: not master within {ForceWindow.TotalSeconds:0} s (VRRP {_s.Vrrp.ToString().ToUpperInvariant()}, Redis {redis}); " +
                         "the override ended, the data rules hold again";
            _log.Warning("operator forced promotion {0}", failed);
            forced.ReplyTo.Tell(new ControlResult(false, $"{forced.Line}; {failed}"));
        }
        UpdateDataPreference();
    }

    private void Handle(SwitchoverActor.HandingOver m) => SetHandover(m.To, _s.SwitchedAway);

    private void Handle(SwitchoverActor.Ended m)
    {
        if (Sender.Equals(_switchover)) _switchover = ActorRefs.Nobody;
        // After a switchover away from this node it must not preempt the VIP back (it stays eligible
        // for a real failover) until it restarts or is switched over to.
        SetHandover(null, _s.SwitchedAway || m.Done);
    }

    private void SetHandover(string? to, bool switchedAway)
    {
        _s = _s with { HandingOverTo = to, SwitchedAway = switchedAway };
        Regate();
    }

    private void Handle(Reload _)
    {
        if (_io.ReadConfig is not { } read)
        {
            Sender.Tell(new ControlResult(false, "reload refused: this node was not started from a file"));
            return;
        }
        HaSettings file;
        try
        {
            file = read();
        }
        catch (ConfigurationException e)
        {
            _log.Error("reload refused, the running configuration stays: {0}", e.Message);
            Sender.Tell(new ControlResult(false, $"reload refused, the running configuration stays: {e.Message}"));
            return;
        }
        var plan = ReloadPlan.Between(_settings, file);
        var before = _settings;
        _settings = plan.Effective;
        _s = _s with { PendingRestart = plan.Pending };
        if (plan.Pending.Count > 0) _log.Warning(plan.Describe());
        else _log.Info(plan.Describe());
        foreach (var warning in file.ConfigWarnings) _log.Warning("configuration: {0}", warning);
        Apply(before);
        Sender.Tell(new ControlResult(true, plan.Describe()));
    }

    /// <summary>Gives the children the reloaded runtime keys; nothing here changes a VRRP state or a Redis role.</summary>
    private void Apply(HaSettings before)
    {
        if (!Equals(before.Vrrp, _settings.Vrrp)) Child(Vrrp).Tell(new VrrpSettingsChanged(_settings.Vrrp));
        if (!Equals(before.Redis, _settings.Redis) || before.Vrrp.Priority != _settings.Vrrp.Priority)
        {
            var changed = new RedisSettingsChanged(_settings.Redis, _settings.Vrrp.Priority);
            Child(Monitor).Tell(changed);
            Child(RoleFlip).Tell(changed);
        }
        if (before.Logging.Level != _settings.Logging.Level)
        {
            _io.SetLogLevel?.Invoke(_settings.Logging.Level);
            Context.System.EventStream.SetLogLevel(LogSettings.AkkaLevel(_settings.Logging.Level));
        }
        if (Equals(before.StatusEndpoint, _settings.StatusEndpoint) && before.Redis.SyncTimeout == _settings.Redis.SyncTimeout) return;
        if (_settings.StatusEndpoint.Listen is not { } listen)
        {
            if (_children.Remove(StatusEndpoint, out var endpoint))
            {
                Context.Unwatch(endpoint);
                Context.Stop(endpoint);
            }
        }
        else if (_children.ContainsKey(StatusEndpoint))
            Child(StatusEndpoint).Tell(new StatusSettingsChanged(listen, _settings.StatusEndpoint.Token, SwitchoverTimeout, PromoteTimeout));
        else
            Create(StatusEndpoint);
    }

    private TimeSpan SwitchoverTimeout => _settings.Redis.SyncTimeout + _settings.Redis.HandoverLimit + TimeSpan.FromSeconds(5);

    private TimeSpan ForceWindow => ForcedPromotion.Window(_settings.Vrrp.AdvertInterval, _settings.Redis);

    // The node answers within its window; the endpoint waits a little longer (the facts are gathered first).
    private TimeSpan PromoteTimeout => ForceWindow + ChildStatusTimeout + TimeSpan.FromSeconds(5);

    private sealed record MaintenanceStored(bool Paused, MaintenanceWritten Result, IActorRef ReplyTo);

    private void Handle(SetMaintenance m)
    {
        var refusal = MaintenancePolicy.Refusal(m.Paused, m.Force, _guarded, _s.Quorum, _s.Vrrp == VrrpState.Master, _s.Peers);
        if (refusal is not null)
        {
            _log.Warning(refusal);
            Sender.Tell(new ControlResult(false, refusal));
            return;
        }
        var state = new MaintenanceState(m.Paused, _settings.Node.Name, DateTimeOffset.UtcNow);
        var replyTo = Sender;
        var paused = m.Paused;
        Child(Guard).Ask<MaintenanceWritten>(new WriteMaintenance(state), ClusterGuardActor.MaintenanceConsistencyTimeout + TimeSpan.FromSeconds(1))
            .PipeTo(Self, success: r => new MaintenanceStored(paused, r, replyTo),
                failure: e => new MaintenanceStored(paused, new MaintenanceWritten(false, $"the cluster guard did not answer: {e.Message}"), replyTo));
    }

    private void Handle(MaintenanceStored m)
    {
        var verb = m.Paused ? "pause" : "resume";
        if (!m.Result.Stored)
        {
            _log.Warning("{0} failed: {1}", verb, m.Result.Error);
            m.ReplyTo.Tell(new ControlResult(false, $"{verb} failed: {m.Result.Error}"));
            return;
        }
        m.ReplyTo.Tell(new ControlResult(true, m.Paused
            ? "paused: stored on a majority of the voters; no failover and no role change until redis-ha resume (the VIP holder keeps it with no expiry)"
            : "resumed: automatic failover is on again"));
    }

    private void Handle(MaintenanceChanged m)
    {
        var mode = m.Paused ? MaintenanceMode.Paused : MaintenanceMode.Off;
        var was = _s.Maintenance;
        _s = _s with { Maintenance = mode, MaintenanceState = m.State, PausedHolder = mode == MaintenanceMode.Paused && _s.PausedHolder };
        if (mode == was) return;
        if (mode == MaintenanceMode.Paused)
            _log.Warning("maintenance mode: {0}; no automatic failover and no role change until resumed{1}", m.State!.Describe(),
                _s.Vrrp == VrrpState.Master || _s.PausedHolder ? " (this node holds the VIP, with no expiry)" : "");
        else if (was == MaintenanceMode.Paused)
            _log.Warning("maintenance mode off{0}: automatic failover is on again", m.State is { } st ? $" (resumed by {st.By})" : "");
        Child(Vrrp).Tell(new MaintenanceVerdict(mode == MaintenanceMode.Paused));
        Child(Vrrp).Tell(MaintenancePolicy.Quorum(_s.Quorum, HoldingStill));
        Regate();
        // Off again: a node without quorum fences as before (the directive carries the cause again).
        Child(RoleFlip).Tell(DirectiveFor(mode == MaintenanceMode.Paused ? "paused" : "maintenance mode off"));
    }

    private void PublishState()
    {
        if (!_guarded) return;
        var state = GossipMapping.Local(_settings, _vrrpAddress, _announceHost, _s.Vrrp, _s.Health?.EffectivePriority ?? _settings.Vrrp.Priority, _s.Facts);
        var now = _io.Clock.Now;
        if (!GossipMapping.ShouldPublish(state, _s.Published, now - _s.PublishedAt)) return;
        _s = _s with { Published = state, PublishedAt = now };
        Child(Guard).Tell(new PublishLocalState(state));
    }

    private void Handle(GetNodeStatus _)
    {
        var header = new NodeStatus(_settings.Node.Name, _startedAt, (_io.Clock.Now - _startedClock).TotalSeconds,
            _settings.Vrrp.Interface, _settings.Vrrp.VirtualRouterId, _settings.Vrrp.Priority,
            _settings.Vrrp.VirtualAddresses.Select(v => v.ToString()).ToArray(), null, null, null, null,
            !_guarded ? null : _s.Maintenance switch
            {
                MaintenanceMode.Unknown => "unknown",
                MaintenanceMode.Paused => _s.MaintenanceState?.Describe() ?? "paused",
                _ => "off",
            },
            _s.PendingRestart ?? [], _s.Defer, _s.Forced?.Line);
        NodeStatusGatherer.GatherAsync(header, Child(Vrrp), Child(Monitor), Child(RoleFlip), Child(Guard), ChildStatusTimeout).PipeTo(Sender);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _localRedis?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(2));
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() =>
        // Stop, then re-create in Handle(Terminated): the supervisor decides the back-off and replays the inputs.
        new OneForOneStrategy(e =>
        {
            _log.Error(e, "child failed: {0}", e.Message);
            return Directive.Stop;
        });
}
