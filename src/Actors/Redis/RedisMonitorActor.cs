using RedisHaActors.Primitives;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;

namespace RedisHaActors.Redis;

/// <summary>
/// Checks the local Redis every <see cref="RedisCheckSettings.Interval"/> (PING + INFO
/// replication, keyspace and server, bounded by the check timeout), scores it with
/// rise/fall/weight, notices restarts (<see cref="RestartWatch"/>: a Redis that came back empty
/// is held back from MASTER), tells its listener a <see cref="RedisHealth"/> when the effective
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

    private readonly RedisSettings _settings;
    private readonly byte _basePriority;
    private readonly IRedisNode _local;
    private readonly IActorRef _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private HealthScore _score;
    private PreciseTimer? _timer;
    private bool _inFlight;
    private long _checks;
    private (byte Priority, bool Eligible, bool InSync, bool Held)? _announced;
    private ReplicationFacts? _lastFacts;
    private RestartWatch _restarts = RestartWatch.Initial;
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    /// <summary>Creates the monitor.</summary>
    /// <param name="settings">Redis settings (check timing and weight).</param>
    /// <param name="basePriority">Configured VRRP priority, 1..254.</param>
    /// <param name="local">The local Redis.</param>
    /// <param name="listener">Receives <see cref="RedisHealth"/> and <see cref="LocalRedisObserved"/>.</param>
    public RedisMonitorActor(RedisSettings settings, byte basePriority, IRedisNode local, IActorRef listener)
    {
        _settings = settings;
        _basePriority = basePriority;
        _local = local;
        _listener = listener;
        _score = HealthScore.Initial(settings.Check.Rise);
        Receive<CheckDue>(Handle);
        Receive<RedisProbe>(Handle);
        Receive<GetRedisStatus>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(RedisSettings settings, byte basePriority, IRedisNode local, IActorRef listener) =>
        Akka.Actor.Props.Create<RedisMonitorActor>(settings, basePriority, local, listener);

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        _timer = new PreciseTimer(() => self.Tell(CheckDue.Instance), "redis-check");
        _timer.ArmPeriodic(TimeSpan.Zero, _settings.Check.Interval);
    }

    /// <inheritdoc />
    protected override void PostStop() => _timer?.Dispose();

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
            _score.EffectivePriority(_basePriority, _settings.Check.Weight), _checks, _lastFacts));

    private void Handle(RedisProbe probe)
    {
        _inFlight = false;
        _lastFacts = probe.Facts;
        var first = _checks++ == 0;
        var before = _score;
        _score = _score.Apply(probe.Passed, probe.Error, _settings.Check.Rise, _settings.Check.Fall);
        if (before.Healthy != _score.Healthy)
        {
            if (first)
                _log.Info("redis {0} check: INIT -> OK", _local.Endpoint);
            else if (_score.Healthy)
                _log.Info("redis {0} check: FAIL -> OK after {1} passes", _local.Endpoint, _score.Passes);
            else
                _log.Warning("redis {0} check: OK -> FAIL after {1} failures: {2}", _local.Endpoint, _score.Failures, _score.LastError);
        }
        else if (first && !probe.Passed)
            _log.Warning("redis {0} check: INIT -> FAIL: {1} (not eligible for MASTER until it passes)", _local.Endpoint, probe.Error);
        else if (!probe.Passed && _score.Failures == 1 && _score.Healthy)
            _log.Info("redis {0} check failed once ({1} of {2} allowed): {3}", _local.Endpoint, 1, _settings.Check.Fall, probe.Error);

        var (restarts, restarted, released) = _restarts.Observe(probe.Facts, Stopwatch.GetElapsedTime(_startedAt));
        _restarts = restarts;
        if (restarted is not null)
            _log.Warning("redis {0} restarted: {1}{2}", _local.Endpoint, restarted, _restarts.Held ? "; " + _restarts.HeldReason : "");
        if (released is not null)
            _log.Info("redis {0} eligible again after its empty restart: {1}", _local.Endpoint, released);

        var priority = _score.EffectivePriority(_basePriority, _settings.Check.Weight);
        var eligible = _score.Healthy && !_restarts.Held;
        // Keep the last verdict while the check fails: a dead Redis is not eligible anyway.
        var inSync = probe.Facts is { } facts ? facts is { Role: RedisRole.Replica, MasterLinkUp: true } : _announced?.InSync ?? false;
        if (_announced != (priority, eligible, inSync, _restarts.Held))
        {
            _announced = (priority, eligible, inSync, _restarts.Held);
            var cause = !_score.Healthy
                ? $"redis check failed {_score.Failures} times: {_score.LastError} (priority {priority})"
                : _restarts.Held
                    ? $"redis {_restarts.HeldReason}"
                    : $"redis check OK (priority {priority})";
            _listener.Tell(new RedisHealth(priority, eligible, cause, inSync));
        }
        _listener.Tell(new LocalRedisObserved(probe, _score.Healthy, _restarts.HeldReason));
    }
}
