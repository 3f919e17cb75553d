using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;
using RedisHaActors.Primitives;

namespace RedisHaActors.Redis;

/// <summary>
/// Keeps the local Redis in the role the node's <see cref="RoleDirective"/> asks for
/// (<see cref="RolePlanner"/>): master while VRRP MASTER (after catching up with the old master when it
/// answers, at most <see cref="RedisSettings.SyncTimeout"/>: <see cref="Promotion"/>), replica of the
/// advertising master while BACKUP. Every new decision bumps a generation; in-flight work of an older
/// generation is cancelled before its next command and its result ignored, so changes apply in order
/// and a superseded flip never lands. Two behaviours: <i>idle</i> (every observation reconciles) and
/// <i>changing</i> (one role change in flight; observations only update the facts, a new decision
/// cancels it). A guarded master also keeps its self-fence
/// (<see cref="MasterFence"/>) and sweeps stray masters (<see cref="StrayMasters"/>). The actor only
/// receives, asks those decisions and pipes the work back; its state is one record.
/// </summary>
public sealed class RoleFlipActor : ReceiveActor
{
    private sealed record FlipFinished(long Generation, string Outcome, bool Failed, RolePlan? Plan = null, bool Yielded = false);

    private sealed record MasterObserved(IPAddress Master, ReplicationFacts? Facts);

    private sealed record MinReplicasApplied(int Count, string? Error, bool Refused = false, string Reason = "");

    private sealed record StrayMastersSwept(IReadOnlyList<string> Lines);

    private sealed record PermissionsChecked(IReadOnlyList<RedisPermissions.Refusal>? Refused, string? Error);

    private sealed record OperatorMinReplicasRead(OperatorMinReplicas? Setting, string? Error);

    private sealed record OperatorMinReplicasRestored(string? Error, string Why);

    /// <summary>Everything the flipper knows; replaced, never mutated.</summary>
    private sealed record State(
        RoleDirective Directive,
        ReplicationFacts? Local,
        string? EmptyRestart,
        WriteRefusal? WriteRefusal,
        ReplicationFacts? MasterFacts,
        long? LastKnownMasterOffset,
        long Generation,
        bool PeerProbeInFlight,
        int ObservationsSkipped,
        (RolePlan Plan, TimeSpan At)? LastDone,
        (string Line, bool Failed, DateTimeOffset At)? LastOutcome,
        IReadOnlyList<DataPeer> Peers,
        IReadOnlyDictionary<string, KnownRedis> KnownPeers,
        (int Count, TimeSpan At)? MinReplicas,
        bool MinReplicasInFlight,
        TimeSpan? LastSweepAt,
        bool SweepInFlight,
        RolePlan? LastRefusal,
        Lease? Lease,
        IReadOnlyList<RedisPermissions.Refusal>? Refused,
        bool PermissionsDue,
        bool PermissionsInFlight,
        string? PermissionsError,
        IReadOnlySet<IPAddress>? Known = null,
        IPAddress? RefusedPeer = null,
        OperatorMinReplicas? Operator = null,
        bool OperatorRead = false,
        bool OperatorLowered = false,
        bool OperatorInFlight = false,
        TimeSpan? OperatorRetryAt = null,
        string? LossRefusal = null)
    {
        public static State Initial { get; } = new(RoleDirective.Initial, null, null, null, null, null, 0, false, 0, null, null, [],
            new Dictionary<string, KnownRedis>(), null, false, null, false, null, null, null, true, false, null);
    }

    private RedisSettings _settings;
    private readonly IRedisNode _local;
    private readonly IRedisNodeFactory _peers;
    private readonly string _announceHost;
    private readonly IMonotonicClock _clock;
    private readonly TimeSpan? _fenceMargin;
    private readonly int _observeEvery;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Connections to peers' Redis, reused (a warm connection to the master saves a handshake at promotion).
    private readonly Dictionary<(string Host, int Port), IRedisNode> _peerNodes = new();
    private State _s = State.Initial;
    // The change in flight, cancelled if the actor stops (a superseded promotion must not go on).
    private CancellationTokenSource? _cancelOnStop;

    /// <summary>Creates the flipper.</summary>
    /// <param name="settings">Redis settings.</param>
    /// <param name="local">The local Redis.</param>
    /// <param name="peers">Connects to other nodes' Redis (same port and credentials).</param>
    /// <param name="announceHost">How peers reach our Redis (used to re-point the old master).</param>
    /// <param name="clock">Monotonic time, the same clock as the VIP lease's.</param>
    /// <param name="fenceMargin">Guarded nodes only (null otherwise): the advert interval. A master's
    /// Redis is kept at <c>min-replicas-to-write 1</c> while a replica is online, and a promotion
    /// after the old master fell silent waits until its Redis has fenced itself
    /// (<see cref="MasterFence.SelfFenceTime"/> plus this margin after its last advert).</param>
    public RoleFlipActor(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost, IMonotonicClock clock,
        TimeSpan? fenceMargin = null)
    {
        _settings = settings;
        _local = local;
        _peers = peers;
        _announceHost = announceHost;
        _clock = clock;
        _fenceMargin = fenceMargin;
        _observeEvery = MasterObservation.Every(settings.Check.Interval);
        Idle();
    }

    /// <summary>No role change in flight: every new fact or decision reconciles.</summary>
    private void Idle()
    {
        Receive<RoleDirective>(Handle);
        // A reload: the new sync-timeout and check timeout apply from the next step on.
        Receive<RedisSettingsChanged>(m => _settings = m.Settings);
        Receive<LocalRedisObserved>(m =>
        {
            Observe(m);
            Reconcile();
            ObserveMaster();
        });
        Receive<MasterObserved>(m =>
        {
            if (Observe(m)) Reconcile();
        });
        Receive<FlipFinished>(m => _log.Info("superseded role change (generation {0}, now {1}) ended: {2}", m.Generation, _s.Generation, m.Outcome));
        Receive<PermissionsChecked>(m =>
        {
            Checked(m);
            // The self-fence waited for this answer.
            Reconcile();
        });
        Receive<GetRoleFlipStatus>(m => Report(inFlight: false));
        Always();
    }

    /// <summary>One role change in flight: facts are kept for after it; a new decision cancels it.</summary>
    /// <param name="work">Cancels the change (a promotion checks it before every command).</param>
    private void Changing(CancellationTokenSource work)
    {
        Receive<RoleDirective>(m =>
        {
            if (!Update(m)) return;
            _log.Info("cancelling in-flight role change: superseded by {0}", m.Cause);
            work.Cancel();
            NewGeneration();
            Become(Idle);
            Reconcile();
            ObserveMaster();
        });
        Receive<LocalRedisObserved>(m =>
        {
            Observe(m);
            ObserveMaster();
        });
        Receive<MasterObserved>(m => Observe(m));
        Receive<FlipFinished>(m =>
        {
            if (m.Generation != _s.Generation)
            {
                _log.Info("superseded role change (generation {0}, now {1}) ended: {2}", m.Generation, _s.Generation, m.Outcome);
                return;
            }
            Finished(m);
            Become(Idle);
        });
        Receive<PermissionsChecked>(Checked);
        Receive<GetRoleFlipStatus>(m => Report(inFlight: true));
        _cancelOnStop = work;
        Always();
    }

    /// <summary>Handled the same way in both behaviours.</summary>
    private void Always()
    {
        Receive<DataPeersChanged>(Handle);
        Receive<KnownPeersChanged>(Handle);
        Receive<VipLeaseRenewed>(m => _s = _s with { Lease = m.Lease });
        Receive<MinReplicasApplied>(Handle);
        Receive<StrayMastersSwept>(Handle);
        Receive<OperatorMinReplicasRead>(Handle);
        Receive<OperatorMinReplicasRestored>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost, IMonotonicClock clock,
        TimeSpan? fenceMargin = null) =>
        Akka.Actor.Props.Create<RoleFlipActor>(settings, local, peers, announceHost, clock, fenceMargin);

    private bool Guarded => _fenceMargin is not null;

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cancelOnStop?.Cancel();
        foreach (var peer in _peerNodes.Values) _ = peer.DisposeAsync().AsTask();
    }

    private void Handle(RoleDirective m)
    {
        if (!Update(m)) return;
        NewGeneration();
        Reconcile();
        ObserveMaster();
    }

    /// <summary>Takes the directive; true when it is a new decision (<see cref="RoleDirective.Supersedes"/>).</summary>
    private bool Update(RoleDirective m)
    {
        var screened = KnownPeers.Screen(m, _s.Known);
        var refused = ReferenceEquals(screened, m) ? null : !Equals(screened.Master, m.Master) ? m.Master : m.PreviousMaster;
        if (refused is not null && !refused.Equals(_s.RefusedPeer))
            _log.Warning("ignoring master {0}: not a known peer (no REPLICAOF, no connection, no credentials sent to it)", refused);
        _s = _s with { RefusedPeer = refused ?? _s.RefusedPeer };
        m = screened;
        var previous = _s.Directive;
        var following = m.Role == DesiredRole.Replica ? m.Master : null;
        var followed = previous.Role == DesiredRole.Replica ? previous.Master : null;
        _s = _s with { Directive = m, MasterFacts = Equals(following, followed) ? _s.MasterFacts : null };
        if (!m.Supersedes(previous)) return false;
        // A new term: the self-fence is asserted afresh, and a lease belongs to one MASTER term.
        _s = _s with { MinReplicas = null, Lease = m.Role == DesiredRole.Master ? _s.Lease : null };
        ForgetPeerConnections();
        return true;
    }

    private void Handle(DataPeersChanged m)
    {
        _s = _s with { Peers = m.Peers, KnownPeers = StrayMasters.Remember(_s.KnownPeers, m.Peers, _clock.Now) };
        ForgetPeerConnections();
    }

    private void Handle(KnownPeersChanged m)
    {
        _s = _s with { Known = m.Addresses };
        // A master that is no longer a known peer is dropped from the directive as a new decision.
        var screened = KnownPeers.Screen(_s.Directive, m.Addresses);
        if (!ReferenceEquals(screened, _s.Directive)) Self.Tell(screened);
        ForgetPeerConnections();
    }

    /// <summary>Closes connections to any Redis that is neither the master followed (or caught up with) nor a
    /// remembered peer: connections stay bounded by the known peers and end when a peer is forgotten.</summary>
    private void ForgetPeerConnections()
    {
        var keep = _s.KnownPeers.Values.Select(k => (k.Host, k.Port)).ToHashSet();
        foreach (var address in new[] { _s.Directive.Master, _s.Directive.PreviousMaster })
            if (address is not null) keep.Add((address.ToString(), _settings.Port));
        foreach (var gone in _peerNodes.Keys.Where(k => !keep.Contains(k)).ToArray())
        {
            _ = _peerNodes[gone].DisposeAsync().AsTask();
            _peerNodes.Remove(gone);
        }
    }

    private void Observe(LocalRedisObserved m)
    {
        _s = _s with
        {
            Local = m.Probe.Passed ? m.Probe.Facts : null,
            EmptyRestart = m.EmptyRestart,
            // An unanswered check tells nothing about the write path: the last verdict holds.
            WriteRefusal = m.Probe.Passed ? m.Probe.WriteRefusal : _s.WriteRefusal,
            // A Redis that was unreachable may come back restarted with another ACL or config: check again.
            PermissionsDue = _s.PermissionsDue || !m.Probe.Passed,
        };
        CheckPermissions();
        CheckLossBound();
    }

    /// <summary>Tells the node when <see cref="LossBound"/> starts or stops refusing an automatic promotion (logged there).</summary>
    private void CheckLossBound()
    {
        // An unanswered check tells nothing about the replica's offset: the last verdict holds (lifted, a backup whose
        // master-down timer ran out long ago would be elected within the check's fall window, and promote past the bound).
        if (_s.Local is null && _s.Directive.Role != DesiredRole.Master) return;
        var refusal = _s.Directive.Role == DesiredRole.Master ? null : LossBound.Refusal(_settings.MaxLoss, _s.LastKnownMasterOffset, _s.Local);
        if (refusal == _s.LossRefusal) return;
        _s = _s with { LossRefusal = refusal };
        Context.Parent.Tell(new LossBoundChanged(refusal));
    }

    private void Finished(FlipFinished m)
    {
        if (m.Yielded)
        {
            _log.Warning("redis role unchanged: {0}", m.Outcome);
            Context.Parent.Tell(new PreemptionYielded(m.Outcome));
        }
        else if (m.Failed) _log.Warning("redis role change failed, retrying after the next check: {0}", m.Outcome);
        else _log.Info("redis role: {0}", m.Outcome);
        _cancelOnStop = null;
        _s = _s with
        {
            LastOutcome = (m.Outcome, m.Failed, DateTimeOffset.UtcNow),
            // A yielded preemption counts as done: not tried again within the settle time, by which the
            // node supervisor has made VRRP give the VIP back.
            LastDone = (m.Failed && !m.Yielded) || m.Plan is null ? null : (m.Plan, _clock.Now),
            // A failed or timed-out command may still run when a hung Redis wakes: the role is unknown
            // until the next check reads it again, and nothing is decided on the old facts.
            Local = m.Failed && !m.Yielded ? null : _s.Local,
        };
    }

    /// <summary>Takes the master's facts; true when they are for the master followed now.</summary>
    private bool Observe(MasterObserved m)
    {
        _s = _s with { PeerProbeInFlight = false };
        if (_s.Directive.Role != DesiredRole.Replica || !Equals(m.Master, _s.Directive.Master)) return false;
        _s = _s with
        {
            MasterFacts = m.Facts,
            LastKnownMasterOffset = m.Facts is { Role: RedisRole.Master } f ? f.MasterReplOffset : _s.LastKnownMasterOffset,
        };
        CheckLossBound();
        return true;
    }

    private void Handle(MinReplicasApplied m)
    {
        if (m.Error is not null)
        {
            // Refused now though the start-up check allowed it (a Redis restarted with another ACL, an ACL
            // changed live): check again, so status says so and it is not retried every few seconds.
            _s = _s with { MinReplicasInFlight = false, MinReplicas = null, PermissionsDue = _s.PermissionsDue || m.Refused };
            _log.Warning("cannot set min-replicas-to-write {0}: {1}", m.Count, m.Error);
            return;
        }
        var changed = _s.MinReplicas?.Count != m.Count;
        _s = _s with { MinReplicasInFlight = false, MinReplicas = (m.Count, _clock.Now) };
        if (changed)
            _log.Info(m.Count > 0
                ? $"min-replicas-to-write {m.Count}, max-lag {MasterFence.MinReplicasMaxLagSeconds} s ({m.Reason}): cut off from its replica, this master's Redis refuses writes within {MasterFence.SelfFenceTime.TotalSeconds:0.0} s by itself"
                : $"min-replicas-to-write 0: {m.Reason}");
    }

    private void Checked(PermissionsChecked m)
    {
        if (m.Refused is not { } refused)
        {
            // Connection trouble: nothing learned, asked again on the next passing check (logged once).
            if (m.Error != _s.PermissionsError) _log.Info("redis permission check failed, retrying after the next check: {0}", m.Error);
            _s = _s with { PermissionsInFlight = false, PermissionsDue = true, PermissionsError = m.Error };
            return;
        }
        var changed = _s.Refused is null || !_s.Refused.SequenceEqual(refused);
        _s = _s with { PermissionsInFlight = false, Refused = refused, PermissionsError = null };
        if (changed)
        {
            var line = RedisPermissions.Summary(_settings.User, refused, Guarded);
            if (refused.Count > 0) _log.Warning("{0}", line);
            else _log.Info("{0}", line);
        }
        ReadOperatorMinReplicas();
    }

    /// <summary>Unguarded nodes, once: the operator's min-replicas setting, which a promotion lowers and the node gives back.</summary>
    private void ReadOperatorMinReplicas()
    {
        if (Guarded || _s.OperatorRead || RedisPermissions.Refuses(_s.Refused, "CONFIG GET")) return;
        _s = _s with { OperatorRead = true };
        _local.MinReplicasAsync(_settings.Check.Timeout).PipeTo(Self,
            success: setting => new OperatorMinReplicasRead(setting, null),
            failure: e => new OperatorMinReplicasRead(null, e.Message));
    }

    private void Handle(OperatorMinReplicasRead m)
    {
        if (m.Error is not null)
        {
            // Read again after the next passing check.
            _s = _s with { OperatorRead = false };
            return;
        }
        _s = _s with { Operator = m.Setting };
        if (m.Setting is { Count: > 0 } op)
            _log.Info("redis.conf's min-replicas-to-write {0} (max-lag {1} s) is kept; a promotion sets it to 0 until {0} replica(s) are online again, " +
                      "so a dead old master does not make the new one refuse every write", op.Count, op.MaxLagSeconds);
    }

    /// <summary>Unguarded nodes: gives the operator's setting back once <see cref="OperatorMinReplicas.RestoreNow"/> says so.</summary>
    private void RestoreOperatorMinReplicas()
    {
        if (Guarded || !_s.OperatorLowered || _s.OperatorInFlight || _s.Operator is not { } op || _s.Local is not { } local) return;
        if (_s.OperatorRetryAt is { } retry && _clock.Now < retry) return;
        if (!op.RestoreNow(local)) return;
        var why = local.Role == RedisRole.Replica ? "this Redis is a replica now" : $"{local.OnlineReplicas} replica(s) online";
        _s = _s with { OperatorInFlight = true };
        _local.SetMinReplicasAsync(op.Count, op.MaxLagSeconds, _settings.Check.Timeout).PipeTo(Self,
            success: () => new OperatorMinReplicasRestored(null, why),
            failure: e => new OperatorMinReplicasRestored(e.Message, why));
    }

    private void Handle(OperatorMinReplicasRestored m)
    {
        var op = _s.Operator!;
        if (m.Error is not null)
        {
            _s = _s with { OperatorInFlight = false, OperatorRetryAt = _clock.Now + MasterFence.Refresh };
            _log.Warning("cannot restore redis.conf's min-replicas-to-write {0}, retrying in {1} s: {2}", op.Count, MasterFence.Refresh.TotalSeconds, m.Error);
            return;
        }
        _s = _s with { OperatorInFlight = false, OperatorLowered = false, OperatorRetryAt = null };
        _log.Info("min-replicas-to-write {0} (max-lag {1} s) restored from the promotion's 0: {2}", op.Count, op.MaxLagSeconds, m.Why);
    }

    private void Handle(StrayMastersSwept m)
    {
        _s = _s with { SweepInFlight = false };
        foreach (var line in m.Lines) _log.Warning(line);
    }

    private void Report(bool inFlight) =>
        Sender.Tell(new RoleFlipStatus(_s.Directive.Role, _s.Directive.Role == DesiredRole.Replica ? _s.Directive.Master : null,
            _s.LastOutcome?.Line ?? "", _s.LastOutcome?.Failed ?? false, _s.LastOutcome?.At, _s.Generation, inFlight,
            RedisPermissions.FenceUnavailable(_s.Refused ?? [], Guarded), _s.LossRefusal ?? "", _s.LastKnownMasterOffset));

    private void NewGeneration() => _s = _s with { Generation = _s.Generation + 1 };

    /// <summary>The guarded master's duties, then the next role step.</summary>
    private void Reconcile()
    {
        EnsureMinReplicas();
        RestoreOperatorMinReplicas();
        SweepStrayMasters();
        var now = _clock.Now;
        var plan = RolePlanner.Plan(_s.Directive, _settings.Port, _s.Local, _s.MasterFacts, protectData: Guarded, emptyRestart: _s.EmptyRestart,
            writeRefusal: _s.WriteRefusal);
        plan = RolePlanner.Gate(plan, _s.Lease, _s.LastDone, _settings.Check.Interval + _settings.Check.Timeout, now);
        if (plan is KeepData or HoldPromotion or HoldReplica && !SameRefusal(plan, _s.LastRefusal))
            _log.Warning("{0}", plan switch { KeepData k => k.Reason, HoldReplica h => h.Reason, _ => ((HoldPromotion)plan).Reason });
        _s = _s with { LastRefusal = plan is KeepData or HoldPromotion or HoldReplica ? plan : null };
        var generation = _s.Generation;
        switch (plan)
        {
            case FollowMaster follow:
            {
                var from = Describe(_s.Local);
                Start(_local.ReplicaOfAsync(follow.Host, follow.Port, _settings.Check.Timeout), generation,
                    $"{from} -> replica of {follow.Host}:{follow.Port} (REPLICAOF)", follow);
                break;
            }
            case FenceLocal fence:
                Start(_local.ReplicaOfAsync(LocalFence.Host, LocalFence.Port, _settings.Check.Timeout), generation,
                    $"master -> fenced read-only (REPLICAOF {LocalFence.Host} {LocalFence.Port}): {fence.Reason}", fence);
                break;
            case PromoteLocal promote:
            {
                var d = _s.Directive;
                var cts = new CancellationTokenSource();
                // Unguarded: the operator's setting is lowered for the promotion (set back by RestoreOperatorMinReplicas;
                // marked before the outcome is known, since restoring a setting that was never lowered changes nothing).
                var lowerOperator = !Guarded && !ConfigRefused && _s.Operator is { LowerAtPromotion: true };
                if (lowerOperator) _s = _s with { OperatorLowered = true };
                Become(() => Changing(cts));
                var request = new Promotion.Request(_local, promote.PreviousMaster is { } pm ? Peer(pm.ToString(), _settings.Port) : null,
                    promote.PreviousMaster, d.PreviousMasterAlive, _s.Local?.Offset ?? 0, _s.LastKnownMasterOffset,
                    MasterFence.WaitBeforePromotion(_fenceMargin, d.PreviousMasterSilentFor), (Guarded && !ConfigRefused) || lowerOperator, _announceHost, _settings.Port,
                    _settings.SyncTimeout, _settings.HandoverLimit, _settings.Check.Timeout, _settings.PeerTimeout, Guarded && ConfigRefused,
                    Guarded ? GoneProof(promote.PreviousMaster) : null,
                    lowerOperator ? $"redis.conf's min-replicas-to-write {_s.Operator!.Count} set to 0 until {_s.Operator.Count} replica(s) are online again" : null);
                Promotion.RunAsync(request, cts.Token).PipeTo(Self,
                    success: how => new FlipFinished(generation, how, false),
                    failure: e => (e is AggregateException a ? a.InnerException : e) is PromotionYielded y
                        ? new FlipFinished(generation, y.Message, true, promote, Yielded: true)
                        : new FlipFinished(generation, e is OperationCanceledException ? "cancelled" : e.Message, true));
                break;
            }
        }
    }

    private void Start(Task<string> command, long generation, string outcome, RolePlan plan)
    {
        // A single command cannot be recalled; the cancellation only marks the change superseded.
        Become(() => Changing(new CancellationTokenSource()));
        command.PipeTo(Self,
            success: note => new FlipFinished(generation, note.Length > 0 ? $"{outcome} ({note})" : outcome, false, plan),
            failure: e => new FlipFinished(generation, e.Message, true));
    }

    private static bool SameRefusal(RolePlan plan, RolePlan? last) => plan switch
    {
        KeepData k => last is KeepData l && l.Reason == k.Reason,
        HoldPromotion => last is HoldPromotion,
        HoldReplica => last is HoldReplica,
        _ => false,
    };

    private bool ConfigRefused => RedisPermissions.Refuses(_s.Refused, "CONFIG SET");

    /// <summary>Once, and again after the local Redis was unreachable: which commands it refuses.</summary>
    private void CheckPermissions()
    {
        if (!_s.PermissionsDue || _s.PermissionsInFlight || _s.Local is null) return;
        _s = _s with { PermissionsDue = false, PermissionsInFlight = true };
        _local.CheckPermissionsAsync(_settings.Check.Timeout).PipeTo(Self,
            success: refused => new PermissionsChecked(refused, null),
            failure: e => new PermissionsChecked(null, e.Message));
    }

    private void EnsureMinReplicas()
    {
        // Refused CONFIG: said once at the check (and shown in status), not retried every few seconds;
        // nor sent while a check runs (its answer comes within a check timeout).
        if (!Guarded || ConfigRefused || _s.PermissionsInFlight || _s.MinReplicasInFlight || _s.Directive is not { Role: DesiredRole.Master, NoQuorum: null }) return;
        if (_s.Local is not { Role: RedisRole.Master } facts) return;
        var (wanted, reason) = MasterFence.Wanted(facts, _s.Peers, _s.Directive.PreviousMaster?.ToString());
        if (!MasterFence.Due(_s.MinReplicas, wanted, _clock.Now)) return;
        _s = _s with { MinReplicasInFlight = true };
        _local.SetMinReplicasAsync(wanted, MasterFence.MinReplicasMaxLagSeconds, _settings.Check.Timeout).PipeTo(Self,
            success: () => new MinReplicasApplied(wanted, null, Reason: reason),
            failure: e => new MinReplicasApplied(wanted, e.Message, (e is AggregateException a ? a.InnerException : e) is RedisCommandException { Refused: true }));
    }

    private void SweepStrayMasters()
    {
        if (!Guarded || _s.SweepInFlight || _s.Directive is not { Role: DesiredRole.Master, NoQuorum: null }) return;
        if (_s.Local is not { Role: RedisRole.Master }) return;
        var now = _clock.Now;
        if (_s.LastSweepAt is { } last && now - last < StrayMasters.SweepInterval) return;
        _s = _s with { KnownPeers = StrayMasters.Remember(_s.KnownPeers, _s.Peers, now) };
        ForgetPeerConnections();
        var targets = StrayMasters.Targets(_s.KnownPeers, _s.Peers, _announceHost);
        if (targets.Count == 0) return;
        _s = _s with { LastSweepAt = now, SweepInFlight = true };
        StrayMasterSweep.RunAsync(targets.Select(t => (t.Host, t.Port, Peer(t.Host, t.Port))).ToArray(), _announceHost, _settings.Port, _settings.PeerTimeout)
            .PipeTo(Self, success: lines => new StrayMastersSwept(lines),
                failure: e => new StrayMastersSwept([$"stray master sweep failed: {e.Message}"]));
    }

    private void ObserveMaster()
    {
        if (_s.Directive is not { Role: DesiredRole.Replica, Master: { } master } || _s.PeerProbeInFlight) return;
        if (!MasterObservation.Due(master, _s.Local, _s.MasterFacts, _s.ObservationsSkipped, _observeEvery))
        {
            _s = _s with { ObservationsSkipped = _s.ObservationsSkipped + 1 };
            return;
        }
        _s = _s with { ObservationsSkipped = 0, PeerProbeInFlight = true };
        // Also keeps the connection to the master warm for the moment we have to promote.
        Peer(master.ToString(), _settings.Port).ProbeAsync(_settings.PeerTimeout).PipeTo(Self,
            success: p => new MasterObserved(master, p.Passed ? p.Facts : null),
            failure: _ => new MasterObserved(master, null));
    }

    /// <summary>The proof that the previous master's processes are gone, for its gossiped endpoints; null when they are unknown.</summary>
    private Func<CancellationToken, Task<string?>>? GoneProof(IPAddress? previous)
    {
        if (previous is null || DataPeer.AdvertisingFrom(_s.Peers, previous) is not { } peer) return null;
        var (redisHost, redisPort, clusterHost, clusterPort) = (peer.Host.Length > 0 ? peer.Host : previous.ToString(), peer.Port, peer.ClusterHost, peer.ClusterPort);
        var timeout = _settings.PeerTimeout;
        return ct => ProcessGone.ProveAsync(redisHost, redisPort, clusterHost, clusterPort, timeout, ct);
    }

    private IRedisNode Peer(string host, int port)
    {
        if (!_peerNodes.TryGetValue((host, port), out var node))
            _peerNodes[(host, port)] = node = _peers.Create(host, port);
        return node;
    }

    private static string Describe(ReplicationFacts? f) => f switch
    {
        null => "unknown",
        { Role: RedisRole.Master } => "master",
        _ => $"replica of {f.MasterHost}:{f.MasterPort}",
    };
}
