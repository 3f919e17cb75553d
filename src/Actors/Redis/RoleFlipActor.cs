using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Redis;

/// <summary>
/// Keeps the local Redis in the role that the VRRP state asks for (<see cref="RolePlanner"/>):
/// master while VRRP MASTER (after catching up with the old master when it answers, at most
/// <see cref="RedisSettings.SyncTimeout"/>), replica of the advertising master while BACKUP.
/// Every VRRP change bumps a generation; in-flight work of an older generation is cancelled and
/// its result ignored, so changes apply in order and a superseded flip never lands.
/// </summary>
public sealed class RoleFlipActor : ReceiveActor
{
    private static readonly TimeSpan MinPeerTimeout = TimeSpan.FromMilliseconds(500);

    // A replica of an address that never answers keeps its data and refuses writes (READONLY).
    private const string FenceHost = "127.0.0.1";
    private const int FencePort = 1;

    private sealed record FlipFinished(long Generation, string Outcome, bool Failed, RolePlan? Plan = null);

    private sealed record MasterObserved(IPAddress Master, ReplicationFacts? Facts);

    private sealed record MinReplicasApplied(int Count, string? Error);

    private sealed record StrayMastersSwept(IReadOnlyList<string> Fenced);

    /// <summary>How often a guarded master looks for other Redis masters whose coordinator is gone.</summary>
    public static readonly TimeSpan StrayMasterSweepInterval = TimeSpan.FromSeconds(1);

    /// <summary><c>min-replicas-max-lag</c> set on a guarded master, whole seconds (Redis' smallest useful value).</summary>
    public const int MinReplicasMaxLagSeconds = 1;

    /// <summary>
    /// Worst case from a master's last replica acknowledgement to its Redis refusing writes with
    /// <c>min-replicas-to-write 1</c>: the lag counts in whole seconds (up to max-lag + 1 s), Redis
    /// re-counts good replicas once a second (+1 s), and its cached clock and cron run at hz 10
    /// (+0.5 s margin: a lab run without it saw 20 ms of two writable masters).
    /// </summary>
    public static readonly TimeSpan SelfFenceTime = TimeSpan.FromSeconds(MinReplicasMaxLagSeconds + 2.5);

    /// <summary>How often a guarded master re-asserts its min-replicas setting (a restarted Redis forgets it).</summary>
    private static readonly TimeSpan MinReplicasRefresh = TimeSpan.FromSeconds(5);

    private readonly RedisSettings _settings;
    private readonly IRedisNode _local;
    private readonly IRedisNodeFactory _peers;
    private readonly string _announceHost;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<(string Host, int Port), IRedisNode> _peerNodes = new();
    private VrrpState _vrrp = VrrpState.Initialize;
    private bool _previousMasterAlive;
    private IPAddress? _master;
    private IPAddress? _previousMaster;
    private ReplicationFacts? _localFacts;
    private string? _emptyRestart;
    private long? _lastKnownMasterOffset;
    private ReplicationFacts? _masterFacts;
    private long _generation;
    private CancellationTokenSource? _inFlight;
    private bool _peerProbeInFlight;
    private (RolePlan Plan, long At)? _lastDone;
    private int _observationsSkipped;
    private readonly int _observeEvery;
    private (string Line, bool Failed, DateTimeOffset At)? _lastOutcome;
    private string? _noQuorum;
    private readonly TimeSpan? _fenceMargin;
    private TimeSpan? _previousMasterSilentFor;
    private IReadOnlyList<PeerView> _clusterPeers = [];
    private (int Count, long At)? _minReplicas;
    private bool _minReplicasInFlight;
    private readonly Dictionary<string, (string Host, int Port)> _knownDataPeers = new(StringComparer.Ordinal);
    private long _lastSweep;
    private bool _sweepInFlight;
    private string? _lastRefusal;
    private VrrpLeaseRenewed? _lease;
    private bool _leaseWarned;

    /// <summary>Creates the flipper.</summary>
    /// <param name="settings">Redis settings.</param>
    /// <param name="local">The local Redis.</param>
    /// <param name="peers">Connects to other nodes' Redis (same port and credentials).</param>
    /// <param name="announceHost">How peers reach our Redis (used to re-point the old master).</param>
    /// <param name="fenceMargin">Guarded nodes only (null otherwise): the advert interval. A master's
    /// Redis is kept at <c>min-replicas-to-write 1</c> while a replica is online, and a promotion
    /// after the old master fell silent waits until its Redis has fenced itself
    /// (<see cref="SelfFenceTime"/> plus this margin after its last advert).</param>
    public RoleFlipActor(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost, TimeSpan? fenceMargin = null)
    {
        _fenceMargin = fenceMargin;
        _settings = settings;
        _local = local;
        _peers = peers;
        _announceHost = announceHost;
        _observeEvery = Math.Max(1, (int)(TimeSpan.FromSeconds(1) / settings.Check.Interval));
        Receive<VrrpStatusChanged>(Handle);
        Receive<VrrpMasterChanged>(Handle);
        Receive<LocalRedisObserved>(Handle);
        Receive<FlipFinished>(Handle);
        Receive<MasterObserved>(Handle);
        Receive<GetRoleFlipStatus>(Handle);
        Receive<QuorumChanged>(Handle);
        Receive<PeersChanged>(Handle);
        Receive<VrrpLeaseRenewed>(m =>
        {
            _lease = m;
            _leaseWarned = false;
        });
        Receive<StrayMastersSwept>(Handle);
        Receive<MinReplicasApplied>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost, TimeSpan? fenceMargin = null) =>
        Akka.Actor.Props.Create<RoleFlipActor>(settings, local, peers, announceHost, fenceMargin);

    /// <inheritdoc />
    protected override void PostStop()
    {
        _inFlight?.Cancel();
        foreach (var peer in _peerNodes.Values) _ = peer.DisposeAsync().AsTask();
    }

    private void Handle(VrrpStatusChanged m)
    {
        _vrrp = m.State;
        var master = m.State == VrrpState.Backup ? m.Master : null;
        if (!Equals(master, _master)) _masterFacts = null;
        _master = master;
        if (m.PreviousMaster is not null) _previousMaster = m.PreviousMaster;
        _previousMasterAlive = m.PreviousMasterAlive;
        _previousMasterSilentFor = m.PreviousMasterSilentFor;
        if (m.State != VrrpState.Master) _lease = null;
        _minReplicas = null;
        NewGeneration($"VRRP {m.State.ToString().ToUpperInvariant()} ({m.Cause})");
        Reconcile();
    }

    private void Handle(PeersChanged m)
    {
        _clusterPeers = m.Peers;
        // Remember every data peer's Redis, also after its node has left the cluster: its Redis may
        // still run, and come back as a master, without a coordinator.
        foreach (var p in m.Peers)
            if (p.State.Role == "data" && p.State.AnnounceHost.Length > 0)
                _knownDataPeers[p.State.Name] = (p.State.AnnounceHost, p.State.RedisPort);
    }

    private void Handle(StrayMastersSwept m)
    {
        _sweepInFlight = false;
        foreach (var line in m.Fenced) _log.Warning(line);
    }

    /// <summary>
    /// A guarded master with quorum fences every other data node's Redis that is a master while its
    /// coordinator is not a reachable cluster member (dead, frozen, cut off): <c>REPLICAOF</c> us and
    /// <c>CLIENT KILL TYPE normal</c>, so its clients stop writing to it and reconnect through the VIP.
    /// A reachable peer's own coordinator keeps its Redis in line, and touching it could race a
    /// legitimate hand-over.
    /// </summary>
    private void SweepStrayMasters()
    {
        if (_fenceMargin is null || _sweepInFlight || _vrrp != VrrpState.Master || _noQuorum is not null) return;
        if (_localFacts is not { Role: RedisRole.Master }) return;
        if (_lastSweep != 0 && Stopwatch.GetElapsedTime(_lastSweep) < StrayMasterSweepInterval) return;
        var reachable = _clusterPeers.Where(p => p.Reachable).Select(p => p.State.Name).ToHashSet(StringComparer.Ordinal);
        var targets = _knownDataPeers.Where(kv => !reachable.Contains(kv.Key) && kv.Value.Host != _announceHost)
            .Select(kv => (kv.Value.Host, kv.Value.Port, Node: Peer(kv.Value.Host, kv.Value.Port))).ToArray();
        if (targets.Length == 0) return;
        _lastSweep = Stopwatch.GetTimestamp();
        _sweepInFlight = true;
        SweepAsync(targets).PipeTo(Self, failure: e => new StrayMastersSwept([$"stray master sweep failed: {e.Message}"]));
    }

    private async Task<StrayMastersSwept> SweepAsync(IReadOnlyList<(string Host, int Port, IRedisNode Node)> targets)
    {
        var timeout = _settings.Check.Timeout < MinPeerTimeout ? MinPeerTimeout : _settings.Check.Timeout;
        var fenced = new List<string>();
        foreach (var (host, port, node) in targets)
        {
            var probe = await node.ProbeAsync(timeout).ConfigureAwait(false);
            if (!probe.Passed || probe.Facts is not { Role: RedisRole.Master }) continue;
            try
            {
                await node.ReplicaOfAsync(_announceHost, _settings.Port, timeout).ConfigureAwait(false);
                await node.UnpauseAndDisconnectClientsAsync(timeout).ConfigureAwait(false);
                fenced.Add($"fenced stray master {host}:{port} (its coordinator is not in the cluster): REPLICAOF {_announceHost} {_settings.Port}, clients disconnected");
            }
            catch (RedisCommandException e)
            {
                fenced.Add($"cannot fence stray master {host}:{port}: {e.Message}");
            }
        }
        return new StrayMastersSwept(fenced);
    }

    private void Handle(MinReplicasApplied m)
    {
        _minReplicasInFlight = false;
        if (m.Error is not null)
        {
            _minReplicas = null;
            _log.Warning("cannot set min-replicas-to-write {0}: {1}", m.Count, m.Error);
            return;
        }
        var changed = _minReplicas?.Count != m.Count;
        _minReplicas = (m.Count, Stopwatch.GetTimestamp());
        if (changed)
            _log.Info(m.Count > 0
                ? $"min-replicas-to-write {m.Count}, max-lag {MinReplicasMaxLagSeconds} s: cut off from its replica, this master's Redis refuses writes within {SelfFenceTime.TotalSeconds:0.0} s by itself"
                : "min-replicas-to-write 0: no online replica on a reachable peer, writes do not wait for one");
    }

    /// <summary>
    /// A guarded master keeps <c>min-replicas-to-write 1</c> while a replica is online and a data
    /// peer is reachable in the cluster, and 0 otherwise (the majority knows the replica is gone).
    /// </summary>
    private void EnsureMinReplicas()
    {
        if (_fenceMargin is null || _minReplicasInFlight || _vrrp != VrrpState.Master || _noQuorum is not null) return;
        if (_localFacts is not { Role: RedisRole.Master } facts) return;
        var replicaPeer = _clusterPeers.Any(p => p.Reachable && p.State.Role == "data");
        var wanted = facts.OnlineReplicas > 0 && replicaPeer ? 1 : 0;
        if (_minReplicas is { } current && current.Count == wanted && Stopwatch.GetElapsedTime(current.At) < MinReplicasRefresh) return;
        _minReplicasInFlight = true;
        _local.SetMinReplicasAsync(wanted, MinReplicasMaxLagSeconds, _settings.Check.Timeout).PipeTo(Self,
            success: () => new MinReplicasApplied(wanted, null),
            failure: e => new MinReplicasApplied(wanted, e.Message));
    }

    private void Handle(QuorumChanged m)
    {
        var hadQuorum = _noQuorum is null;
        _noQuorum = m.View.HasQuorum ? null : m.View.Cause;
        // Only a change of verdict is a new decision; a new cause text is not.
        if (hadQuorum == m.View.HasQuorum) return;
        NewGeneration(_noQuorum ?? "quorum regained");
        Reconcile();
    }

    private void Handle(VrrpMasterChanged m)
    {
        if (Equals(_master, m.Master)) return;
        _master = m.Master;
        _masterFacts = null;
        _previousMaster = m.Master;
        NewGeneration($"following master {m.Master}");
        Reconcile();
        ObserveMaster();
    }

    private void Handle(LocalRedisObserved m)
    {
        _localFacts = m.Probe.Passed ? m.Probe.Facts : null;
        _emptyRestart = m.EmptyRestart;
        Reconcile();
        ObserveMaster();
    }

    private void Handle(FlipFinished m)
    {
        if (m.Generation != _generation)
        {
            _log.Info("superseded role change (generation {0}, now {1}) ended: {2}", m.Generation, _generation, m.Outcome);
            return;
        }
        _inFlight = null;
        if (m.Failed) _log.Warning("redis role change failed, retrying on the next check: {0}", m.Outcome);
        else _log.Info("redis role: {0}", m.Outcome);
        _lastOutcome = (m.Outcome, m.Failed, DateTimeOffset.UtcNow);
        _lastDone = m.Failed || m.Plan is null ? null : (m.Plan, Stopwatch.GetTimestamp());
    }

    private void Handle(GetRoleFlipStatus _) =>
        Sender.Tell(new RoleFlipStatus(_vrrp, RoleFlipStatus.DesiredRoleFor(_vrrp), _master, _lastOutcome?.Line ?? "",
            _lastOutcome?.Failed ?? false, _lastOutcome?.At, _generation, _inFlight is not null));

    private void Handle(MasterObserved m)
    {
        _peerProbeInFlight = false;
        if (!Equals(m.Master, _master)) return;
        _masterFacts = m.Facts;
        if (m.Facts is { Role: RedisRole.Master } f) _lastKnownMasterOffset = f.MasterReplOffset;
        Reconcile();
    }

    private void NewGeneration(string cause)
    {
        _generation++;
        if (_inFlight is not null)
        {
            _log.Info("cancelling in-flight role change: superseded by {0}", cause);
            _inFlight.Cancel();
            _inFlight = null;
        }
    }

    private void Reconcile()
    {
        if (_inFlight is not null) return;
        EnsureMinReplicas();
        SweepStrayMasters();
        var plan = RolePlanner.Plan(_vrrp, _master, _previousMaster, _settings.Port, _localFacts, _masterFacts, _noQuorum, protectData: _fenceMargin is not null,
            emptyRestart: _emptyRestart);
        if (plan is KeepData keep && keep.Reason != _lastRefusal)
            _log.Warning("{0}", keep.Reason);
        _lastRefusal = (plan as KeepData)?.Reason;
        // Facts observed before the last flip landed still show the old role; repeating the same
        // command within a check interval would only repeat an idempotent REPLICAOF.
        if (_lastDone is { } done && Equals(done.Plan, plan) &&
            Stopwatch.GetElapsedTime(done.At) < _settings.Check.Interval + _settings.Check.Timeout)
            return;
        var generation = _generation;
        switch (plan)
        {
            case FollowMaster follow:
            {
                _inFlight = new CancellationTokenSource();
                var from = Describe(_localFacts);
                var timeout = _settings.Check.Timeout;
                _local.ReplicaOfAsync(follow.Host, follow.Port, timeout).PipeTo(Self,
                    success: () => new FlipFinished(generation, $"{from} -> replica of {follow.Host}:{follow.Port} (REPLICAOF)", false, follow),
                    failure: e => new FlipFinished(generation, e.Message, true));
                break;
            }
            case FenceLocal fence:
            {
                _inFlight = new CancellationTokenSource();
                _local.ReplicaOfAsync(FenceHost, FencePort, _settings.Check.Timeout).PipeTo(Self,
                    success: () => new FlipFinished(generation, $"master -> fenced read-only (REPLICAOF {FenceHost} {FencePort}): {fence.Reason}", false, fence),
                    failure: e => new FlipFinished(generation, e.Message, true));
                break;
            }
            case PromoteLocal when _lease is { } lease && Stopwatch.GetElapsedTime(lease.At) >= lease.Lease:
                // Woken from a stall: the MASTER state we hold has lapsed with the VIP lease; VRRP
                // re-checks first (it goes BACKUP), and a real master promotes on fresh news.
                if (!_leaseWarned)
                    _log.Warning("not promoting: the VIP lease was last renewed {0:0.00} s ago (process stalled?); waiting for VRRP",
                        Stopwatch.GetElapsedTime(lease.At).TotalSeconds);
                _leaseWarned = true;
                break;
            case PromoteLocal promote:
            {
                _inFlight = new CancellationTokenSource();
                var fenceWait = _fenceMargin is { } margin && _previousMasterSilentFor is { } silent
                    ? SelfFenceTime + margin - silent
                    : (TimeSpan?)null;
                PromoteAsync(generation, promote.PreviousMaster, _previousMasterAlive, _localFacts?.Offset ?? 0, _lastKnownMasterOffset, fenceWait, _inFlight.Token)
                    .PipeTo(Self, failure: e => new FlipFinished(generation, e is OperationCanceledException ? "cancelled" : e.Message, true));
                break;
            }
        }
    }

    private async Task<FlipFinished> PromoteAsync(long generation, IPAddress? previousMaster, bool previousMasterAlive, long ownOffset,
        long? lastKnownMasterOffset, TimeSpan? fenceWait, CancellationToken ct)
    {
        var timeout = _settings.Check.Timeout;
        // A peer probe may include a fresh connection; a refused one still returns at once.
        var peerTimeout = timeout < MinPeerTimeout ? MinPeerTimeout : timeout;
        var started = Stopwatch.StartNew();
        IRedisNode? old = previousMaster is null ? null : Peer(previousMaster);
        long? target = null;
        var oldError = "";
        if (old is not null)
        {
            // A preempted master was advertising a moment ago, so its Redis should answer: keep
            // asking (bounded by sync-timeout) instead of promoting without its last writes.
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var probe = await old.ProbeAsync(peerTimeout).ConfigureAwait(false);
                if (probe.Passed && probe.Facts is { Role: RedisRole.Master } facts)
                {
                    target = facts.MasterReplOffset;
                    break;
                }
                oldError = probe.Passed ? $"it is not a master ({probe.Facts?.Role})" : probe.Error;
                if (!previousMasterAlive || started.Elapsed >= _settings.SyncTimeout) break;
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
            }
        }
        ct.ThrowIfCancellationRequested();
        var paused = false;
        if (target is not null && old is not null)
        {
            // Freeze the old master's writes first (it ends by itself if we die), then take its final
            // offset: from here on at most one of the two Redis can accept a write.
            try
            {
                await old.PauseWritesAsync(_settings.SyncTimeout + TimeSpan.FromSeconds(5), peerTimeout).ConfigureAwait(false);
                paused = true;
                var final = await old.ProbeAsync(peerTimeout).ConfigureAwait(false);
                if (final.Passed && final.Facts is { Role: RedisRole.Master } ff) target = ff.MasterReplOffset;
            }
            catch (RedisCommandException e)
            {
                _log.Warning("could not pause writes on old master {0} ({1}); promoting with catch-up only", previousMaster, e.Message);
            }
        }
        string how;
        if (target is { } t)
        {
            // Wait (bounded by sync-timeout) until this replica has everything the old master has.
            while (ownOffset < t && started.Elapsed < _settings.SyncTimeout)
            {
                var probe = await _local.ProbeAsync(timeout).ConfigureAwait(false);
                if (probe.Facts is { } f) ownOffset = f.Offset;
                if (ownOffset >= t) break;
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
            }
            how = ownOffset >= t
                ? $"caught up with old master {previousMaster} at offset {t} in {started.ElapsedMilliseconds} ms"
                : $"sync-timeout: own offset {ownOffset} behind old master {previousMaster} offset {t}, estimated loss {t - ownOffset} bytes";
        }
        else
        {
            var loss = RolePlanner.EstimatedLoss(lastKnownMasterOffset, ownOffset);
            var waited = "";
            if (previousMaster is not null && fenceWait is { } wait && wait - started.Elapsed is { } rest && rest > TimeSpan.Zero)
            {
                // It fell silent without leaving: it may be cut off but alive, its Redis still a
                // writable master for its local clients until min-replicas fences it. Two writable
                // masters, even briefly, are worse than a longer takeover.
                await Task.Delay(rest, ct).ConfigureAwait(false);
                waited = $" after waiting {rest.TotalSeconds:0.00} s for its Redis to fence itself (min-replicas-max-lag)";
            }
            how = previousMaster is null
                ? "no previous master known: promoted at once"
                : $"old master {previousMaster} does not answer ({oldError}): promoted{(waited.Length > 0 ? waited : " at once")}, estimated loss {loss} bytes (last known master offset {lastKnownMasterOffset?.ToString() ?? "unknown"}, own {ownOffset})";
        }
        ct.ThrowIfCancellationRequested();
        // A guarded replica may carry min-replicas-to-write 1 from an earlier term as master: with
        // its peer gone it would refuse every write after promotion. The reconcile loop raises it
        // again once a replica is online.
        if (_fenceMargin is not null) await _local.SetMinReplicasAsync(0, MinReplicasMaxLagSeconds, timeout).ConfigureAwait(false);
        await _local.ReplicaOfNoOneAsync(timeout).ConfigureAwait(false);
        if (target is not null && old is not null)
        {
            // The old master still answers: make it a replica of us before its paused writers are
            // released (the other order lets them land on it and be lost), then drop its clients so
            // they reconnect through the VIP.
            try
            {
                await old.ReplicaOfAsync(_announceHost, _settings.Port, peerTimeout).ConfigureAwait(false);
                how += $"; old master {previousMaster} re-pointed to {_announceHost}:{_settings.Port}";
                if (paused)
                {
                    await old.UnpauseAndDisconnectClientsAsync(peerTimeout).ConfigureAwait(false);
                    how += " (writes paused during the hand-over, its clients disconnected)";
                }
            }
            catch (RedisCommandException e)
            {
                how += $"; could not re-point old master: {e.Message}";
            }
        }
        return new FlipFinished(generation, $"replica -> master (REPLICAOF NO ONE): {how}", false);
    }

    private void ObserveMaster()
    {
        if (_vrrp != VrrpState.Backup || _master is null || _peerProbeInFlight) return;
        // Once following a master, its offset is only needed for the loss estimate: about once a
        // second is enough. Until then ask on every check, so the hand-over is not delayed.
        var following = _localFacts is { Role: RedisRole.Replica } f && f.MasterHost == _master.ToString() && _masterFacts is { Role: RedisRole.Master };
        if (following && ++_observationsSkipped < _observeEvery) return;
        _observationsSkipped = 0;
        _peerProbeInFlight = true;
        var master = _master;
        // Also keeps the connection to the master warm for the moment we have to promote.
        Peer(master).ProbeAsync(_settings.Check.Timeout < MinPeerTimeout ? MinPeerTimeout : _settings.Check.Timeout).PipeTo(Self,
            success: p => new MasterObserved(master, p.Passed ? p.Facts : null),
            failure: _ => new MasterObserved(master, null));
    }

    private IRedisNode Peer(IPAddress address) => Peer(address.ToString(), _settings.Port);

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
