using RedisHaActors.Primitives;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;

namespace RedisHaActors.Redis;

/// <summary>
/// Checks the local Redis every <see cref="RedisCheckSettings.Interval"/> (PING + INFO
/// replication, keyspace, server, persistence and memory, bounded by the check timeout), scores it with
/// rise/fall/weight, notices restarts (<see cref="RestartWatch"/>: a Redis that came back empty
/// is held back from MASTER), fails a Redis that answers but refuses writes (<see cref="WritePath"/>), notices a
/// replica with <c>replica-read-only no</c> (asked every <see cref="ReadOnlyRecheck"/> while it is a replica), tells its listener a <see cref="RedisHealth"/> when the effective
/// priority or eligibility changes, and a <see cref="LocalRedisObserved"/> after every check. At most one check is in flight; a check that is still running when the next
/// is due makes that tick a no-op.
/// </summary>
public sealed class RedisMonitorActor : ReceiveActor
{
    private static readonly TimeSpan FirstCheckGrace = TimeSpan.FromSeconds(2);

    private sealed record CheckDue
    {
        public static CheckDue Instance { get; } = new();
    }

    private sealed record ReadOnlyChecked(bool? ReadOnly, string? Error);

    private sealed record ReplicasProbed(IReadOnlyList<(string Endpoint, RedisProbe Probe)> Probes);

    /// <summary>How often a replica's <c>replica-read-only</c> is asked again (an operator may change it live).</summary>
    public static readonly TimeSpan ReadOnlyRecheck = TimeSpan.FromSeconds(10);

    private RedisSettings _settings;
    private byte _basePriority;
    private readonly IRedisNode _local;
    private readonly IActorRef _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private HealthScore _score;
    private PreciseTimer? _timer;
    private bool _inFlight;
    private long _checks;
    private (byte Priority, bool Eligible, bool InSync, bool Held, bool Certain)? _announced;
    private bool _lastFailureCertain;
    private ReplicationFacts? _lastFacts;
    private RestartWatch _restarts = RestartWatch.Initial;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private WriteRefusal? _writeRefusal;
    private bool? _replicaReadOnly;
    private TimeSpan? _readOnlyAskedAt;
    private bool _readOnlyInFlight;
    // CONFIG GET refused (said by the permission check): not asked again until the Redis restarts.
    private bool _readOnlyRefused;
    private readonly IRedisNodeFactory? _peers;
    private readonly Dictionary<string, IRedisNode> _replicaNodes = new(StringComparer.Ordinal);
    private bool _replicaProbeInFlight;
    // While the local master refuses writes: its online replicas as last probed (WritePath.FailsCheck).
    private IReadOnlyList<(string Endpoint, RedisProbe Probe)>? _replicaProbes;

    /// <summary>Creates the monitor.</summary>
    /// <param name="settings">Redis settings (check timing and weight).</param>
    /// <param name="basePriority">Configured VRRP priority, 1..254.</param>
    /// <param name="local">The local Redis.</param>
    /// <param name="listener">Receives <see cref="RedisHealth"/> and <see cref="LocalRedisObserved"/>.</param>
    /// <param name="peers">Reaches the replicas' Redis: while the local master refuses writes, they are asked whether
    /// they would take them (<see cref="WritePath.FailsCheck"/>); null: never asked, a refusal always fails the check.</param>
    public RedisMonitorActor(RedisSettings settings, byte basePriority, IRedisNode local, IActorRef listener, IRedisNodeFactory? peers = null)
    {
        _peers = peers;
        _settings = settings;
        _basePriority = basePriority;
        _local = local;
        _listener = listener;
        _score = HealthScore.Initial(settings.Check.Rise);
        Receive<CheckDue>(Handle);
        Receive<RedisProbe>(Handle);
        Receive<GetRedisStatus>(Handle);
        Receive<ReadOnlyChecked>(Handle);
        Receive<ReplicasProbed>(Handle);
        Receive<RedisSettingsChanged>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(RedisSettings settings, byte basePriority, IRedisNode local, IActorRef listener, IRedisNodeFactory? peers = null) =>
        Akka.Actor.Props.Create(() => new RedisMonitorActor(settings, basePriority, local, listener, peers));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        _timer = new PreciseTimer(() => self.Tell(CheckDue.Instance), "redis-check");
        _timer.ArmPeriodic(TimeSpan.Zero, _settings.Check.Interval);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _timer?.Dispose();
        foreach (var node in _replicaNodes.Values) _ = node.DisposeAsync().AsTask();
    }

    private void Handle(RedisSettingsChanged m)
    {
        var interval = m.Settings.Check.Interval;
        var intervalChanged = interval != _settings.Check.Interval;
        (_settings, _basePriority) = (m.Settings, m.BasePriority);
        // The next check comes one new interval from now; it announces the new effective priority.
        if (intervalChanged) _timer?.ArmPeriodic(interval, interval);
    }

    private void Handle(CheckDue _)
    {
        if (_inFlight) return;
        _inFlight = true;
        // The first check also opens the connection (and runs cold code): give it a grace period
        // so a healthy Redis does not start as INIT -> FAIL.
        var timeout = _checks == 0 && _settings.Check.Timeout < FirstCheckGrace ? FirstCheckGrace : _settings.Check.Timeout;
        _local.ProbeAsync(timeout).PipeTo(Self,
            failure: e => RedisProbe.Failed(e.Message.Split('\n', 2)[0]));
    }

    private void Handle(GetRedisStatus _) =>
        Sender.Tell(new RedisStatus(_local.Endpoint, _score.Healthy, _score.Passes, _score.Failures, _score.LastError,
            _score.EffectivePriority(_basePriority, _settings.Check.Weight), _checks, _lastFacts, _writeRefusal?.Reason,
            _lastFacts is { Role: RedisRole.Replica } ? _replicaReadOnly : null));

    private void Handle(RedisProbe probe)
    {
        _inFlight = false;
        _lastFacts = probe.Facts;
        var first = _checks++ == 0;
        var before = _score;
        // A master's refusal fails the check unless every online replica refuses writes too.
        // Until the replicas answered (one round, bounded by the peer timeout) the refusal is not counted: a
        // first connection to them can take longer than a check interval.
        var asking = _peers is not null && probe.Facts is { Role: RedisRole.Master, OnlineReplicaEndpoints.Length: > 0 } && _replicaProbes is null;
        var refusalCounts = probe.WriteRefusal is not null && !asking
                            && (probe.Facts is not { Role: RedisRole.Master } || WritePath.FailsCheck(_replicaProbes?.Select(p => p.Probe).ToList()));
        var passed = probe.Passed && !refusalCounts;
        var error = !probe.Passed ? probe.Error : refusalCounts ? probe.WriteRefusal!.Reason : "";
        _score = _score.Apply(passed, error, _settings.Check.Rise, _settings.Check.Fall);
        // The evidence of the latest failure (kept through the passes before rise): the process gone, or Redis
        // itself refusing writes.
        if (!passed) _lastFailureCertain = probe.ConnectionRefused || refusalCounts;
        ObserveWritePath(probe);
        ProbeReplicas(probe);
        if (before.Healthy != _score.Healthy)
        {
            if (first)
                _log.Info("redis {0} check: INIT -> OK", _local.Endpoint);
            else if (_score.Healthy)
                _log.Info("redis {0} check: FAIL -> OK after {1} passes", _local.Endpoint, _score.Passes);
            else
                _log.Warning("redis {0} check: OK -> FAIL after {1} failures: {2}", _local.Endpoint, _score.Failures, _score.LastError);
        }
        else if (first && !passed)
            _log.Warning("redis {0} check: INIT -> FAIL: {1} (not eligible for MASTER until it passes)", _local.Endpoint, error);
        else if (!passed && _score.Failures == 1 && _score.Healthy)
            _log.Info("redis {0} check failed once ({1} of {2} allowed): {3}", _local.Endpoint, 1, _settings.Check.Fall, error);

        var (restarts, restarted, released) = _restarts.Observe(probe.Facts, Stopwatch.GetElapsedTime(_startedAt));
        _restarts = restarts;
        if (restarted is not null) _readOnlyRefused = false;
        if (restarted is not null)
            _log.Warning("redis {0} restarted: {1}{2}", _local.Endpoint, restarted, _restarts.Held ? "; " + _restarts.HeldReason : "");
        if (released is not null)
            _log.Info("redis {0} eligible again after its empty restart: {1}", _local.Endpoint, released);

        var priority = _score.EffectivePriority(_basePriority, _settings.Check.Weight);
        var eligible = _score.Healthy && !_restarts.Held;
        // Keep the last verdict while the check fails: a dead Redis is not eligible anyway.
        var inSync = probe.Facts is { } facts ? facts is { Role: RedisRole.Replica, MasterLinkUp: true } : _announced?.InSync ?? false;
        var certainNow = !_score.Healthy && _lastFailureCertain;
        if (_announced != (priority, eligible, inSync, _restarts.Held, certainNow))
        {
            _announced = (priority, eligible, inSync, _restarts.Held, certainNow);
            var cause = !_score.Healthy
                ? $"redis check failed {_score.Failures} times: {_score.LastError} (priority {priority})"
                : _restarts.Held
                    ? $"redis {_restarts.HeldReason}"
                    : $"redis check OK (priority {priority})";
            _listener.Tell(new RedisHealth(priority, eligible, cause, inSync, certainNow));
        }
        _listener.Tell(new LocalRedisObserved(probe, _score.Healthy, _restarts.HeldReason));
        AskReadOnly();
    }

    /// <summary>Says once when the write path is refused (and why) and once when it is back.</summary>
    private void ObserveWritePath(RedisProbe probe)
    {
        // A check without an answer tells nothing about the write path: keep the last verdict.
        if (!probe.Passed) return;
        var was = _writeRefusal;
        _writeRefusal = probe.WriteRefusal;
        // Said once per kind: the figures of an OOM change on every check.
        if (probe.WriteRefusal?.Kind == was?.Kind) return;
        if (_writeRefusal is { } r)
            _log.Warning("redis {0} {1}: its check fails until it is back{2}{3}", _local.Endpoint, r.Reason,
                probe.Facts is { Role: RedisRole.Master } ? " (unless every replica refuses writes too)" : "",
                r.DiskError ? "; not made a replica meanwhile (a Redis 7 replica panics on a replicated write it cannot persist), held read-only instead" : "");
        else
            _log.Info("redis {0} write path back (was {1})", _local.Endpoint, was!.Cause);
    }

    /// <summary>While the local master refuses writes, asks its online replicas (one round at a time) whether they would take them.</summary>
    private void ProbeReplicas(RedisProbe probe)
    {
        if (_peers is null || probe.WriteRefusal is null || probe.Facts is not { Role: RedisRole.Master, OnlineReplicaEndpoints: { Length: > 0 } endpoints })
        {
            // A check without an answer keeps the last round; otherwise there is nothing to weigh.
            if (probe.Passed) Replicas(null);
            return;
        }
        if (_replicaProbeInFlight) return;
        _replicaProbeInFlight = true;
        var nodes = endpoints.Split(',').Select(e => (Endpoint: e, Node: ReplicaNode(e))).ToArray();
        var timeout = _settings.PeerTimeout;
        Task.WhenAll(nodes.Select(async n => (n.Endpoint, await n.Node.ProbeAsync(timeout).ConfigureAwait(false))))
            .PipeTo(Self, success: probes => new ReplicasProbed(probes), failure: e => new ReplicasProbed([("?", RedisProbe.Failed(e.Message))]));
    }

    private IRedisNode ReplicaNode(string endpoint)
    {
        if (_replicaNodes.TryGetValue(endpoint, out var node)) return node;
        var colon = endpoint.LastIndexOf(':');
        node = _peers!.Create(endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return _replicaNodes[endpoint] = node;
    }

    private void Handle(ReplicasProbed m)
    {
        _replicaProbeInFlight = false;
        // Answers for a master that takes writes again (or is no longer a master) are stale.
        if (_writeRefusal is null || _lastFacts is not { Role: RedisRole.Master }) return;
        Replicas(m.Probes);
    }

    /// <summary>Takes a round of replica probes (null: none wanted); says once when every replica refuses too, and when one no longer does.</summary>
    private void Replicas(IReadOnlyList<(string Endpoint, RedisProbe Probe)>? probes)
    {
        bool AllRefuse(IReadOnlyList<(string Endpoint, RedisProbe Probe)>? p) => p is not null && !WritePath.FailsCheck(p.Select(x => x.Probe).ToList());
        var was = AllRefuse(_replicaProbes);
        _replicaProbes = probes;
        var now = AllRefuse(probes);
        if (now && !was)
            _log.Warning("redis {0} {1}, and every online replica refuses writes too ({2}): keeping the VIP for reads, a hand-over would gain no write",
                _local.Endpoint, _writeRefusal?.Reason, string.Join("; ", probes!.Select(p => $"{p.Endpoint}: {p.Probe.WriteRefusal!.Cause}")));
        else if (was && !now && _writeRefusal is not null)
            _log.Warning("redis {0} {1}: a replica could take writes now, the check fails", _local.Endpoint, _writeRefusal.Reason);
    }

    /// <summary>While the local Redis is a replica, asks its replica-read-only now and then.</summary>
    private void AskReadOnly()
    {
        var now = Stopwatch.GetElapsedTime(_startedAt);
        if (_lastFacts is not { Role: RedisRole.Replica })
        {
            // Asked at once when it next becomes a replica.
            _readOnlyAskedAt = null;
            return;
        }
        if (_readOnlyInFlight || _readOnlyRefused) return;
        if (_readOnlyAskedAt is { } at && now - at < ReadOnlyRecheck) return;
        _readOnlyInFlight = true;
        _readOnlyAskedAt = now;
        _local.ReplicaReadOnlyAsync(_settings.Check.Timeout).PipeTo(Self,
            success: ro => new ReadOnlyChecked(ro, null),
            failure: e => new ReadOnlyChecked(null, e.Message));
    }

    private void Handle(ReadOnlyChecked m)
    {
        _readOnlyInFlight = false;
        _readOnlyRefused = m is { ReadOnly: null, Error: null };
        // Unknown (CONFIG GET refused, said by the permission check; or no answer): keep the last verdict.
        if (m.ReadOnly is not { } readOnly || readOnly == _replicaReadOnly) return;
        var was = _replicaReadOnly;
        _replicaReadOnly = readOnly;
        if (!readOnly)
            _log.Warning("redis {0} is a replica with replica-read-only no: clients that reach it directly can write to it, so the " +
                         "read-only fence (a demoted, held or minority Redis refusing writes) does not hold there; set replica-read-only yes", _local.Endpoint);
        else if (was is false)
            _log.Info("redis {0} replica-read-only yes again: the read-only fence holds", _local.Endpoint);
    }
}
