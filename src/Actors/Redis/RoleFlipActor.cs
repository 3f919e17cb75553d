using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Event;
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

    private readonly RedisSettings _settings;
    private readonly IRedisNode _local;
    private readonly IRedisNodeFactory _peers;
    private readonly string _announceHost;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IPAddress, IRedisNode> _peerNodes = new();
    private VrrpState _vrrp = VrrpState.Initialize;
    private bool _previousMasterAlive;
    private IPAddress? _master;
    private IPAddress? _previousMaster;
    private ReplicationFacts? _localFacts;
    private long? _lastKnownMasterOffset;
    private ReplicationFacts? _masterFacts;
    private long _generation;
    private CancellationTokenSource? _inFlight;
    private bool _peerProbeInFlight;
    private (RolePlan Plan, long At)? _lastDone;
    private int _observationsSkipped;
    private readonly int _observeEvery;
    private (string Line, bool Failed, DateTimeOffset At)? _lastOutcome;

    /// <summary>Creates the flipper.</summary>
    /// <param name="settings">Redis settings.</param>
    /// <param name="local">The local Redis.</param>
    /// <param name="peers">Connects to other nodes' Redis (same port and credentials).</param>
    /// <param name="announceHost">How peers reach our Redis (used to re-point the old master).</param>
    public RoleFlipActor(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost)
    {
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
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(RedisSettings settings, IRedisNode local, IRedisNodeFactory peers, string announceHost) =>
        Akka.Actor.Props.Create<RoleFlipActor>(settings, local, peers, announceHost);

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
        NewGeneration($"VRRP {m.State.ToString().ToUpperInvariant()} ({m.Cause})");
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
        var plan = RolePlanner.Plan(_vrrp, _master, _previousMaster, _settings.Port, _localFacts, _masterFacts);
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
            case PromoteLocal promote:
            {
                _inFlight = new CancellationTokenSource();
                PromoteAsync(generation, promote.PreviousMaster, _previousMasterAlive, _localFacts?.Offset ?? 0, _lastKnownMasterOffset, _inFlight.Token)
                    .PipeTo(Self, failure: e => new FlipFinished(generation, e is OperationCanceledException ? "cancelled" : e.Message, true));
                break;
            }
        }
    }

    private async Task<FlipFinished> PromoteAsync(long generation, IPAddress? previousMaster, bool previousMasterAlive, long ownOffset,
        long? lastKnownMasterOffset, CancellationToken ct)
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
            how = previousMaster is null
                ? "no previous master known: promoted at once"
                : $"old master {previousMaster} does not answer ({oldError}): promoted at once, estimated loss {loss} bytes (last known master offset {lastKnownMasterOffset?.ToString() ?? "unknown"}, own {ownOffset})";
        }
        ct.ThrowIfCancellationRequested();
        await _local.ReplicaOfNoOneAsync(timeout).ConfigureAwait(false);
        if (target is not null && old is not null)
        {
            // The old master still answers: make it a replica of us now, so it cannot take writes.
            try
            {
                await old.ReplicaOfAsync(_announceHost, _settings.Port, timeout).ConfigureAwait(false);
                how += $"; old master {previousMaster} re-pointed to {_announceHost}:{_settings.Port}";
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

    private IRedisNode Peer(IPAddress address)
    {
        if (!_peerNodes.TryGetValue(address, out var node))
            _peerNodes[address] = node = _peers.Create(address.ToString(), _settings.Port);
        return node;
    }

    private static string Describe(ReplicationFacts? f) => f switch
    {
        null => "unknown",
        { Role: RedisRole.Master } => "master",
        _ => $"replica of {f.MasterHost}:{f.MasterPort}",
    };
}
