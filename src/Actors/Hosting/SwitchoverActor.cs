using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Control;
using RedisHaActors.Redis;

namespace RedisHaActors.Hosting;

/// <summary>
/// One planned hand-over, a child of the node supervisor for as long as it runs: <i>preparing</i>
/// (<see cref="SwitchoverPreparation"/>: pause writes here, wait for the target's replica), then
/// <i>handing over</i> (the supervisor makes this node ineligible, VRRP yields, and the saga waits until
/// the target is the VRRP master, at most <see cref="RedisSettings.HandoverLimit"/>). It answers the
/// requester with a <see cref="SwitchoverResult"/> and tells the supervisor <see cref="Ended"/>.
/// </summary>
public sealed class SwitchoverActor : ReceiveActor, IWithTimers
{
    /// <summary>To the supervisor: the target has every byte; make this node ineligible so VRRP yields.</summary>
    /// <param name="To">The target's node name.</param>
    public sealed record HandingOver(string To);

    /// <summary>To the supervisor: the switchover is over.</summary>
    /// <param name="To">The target's node name.</param>
    /// <param name="Done">The target holds the VIP.</param>
    public sealed record Ended(string To, bool Done);

    /// <summary>From the supervisor: VRRP now follows <paramref name="Master"/>.</summary>
    /// <param name="Master">The new VRRP master's address.</param>
    public sealed record MasterSeen(IPAddress Master);

    private sealed record Prepared(SwitchoverPreparation.Outcome Outcome);

    private sealed record TimedOut;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private readonly IRedisNode _local;
    private readonly IRedisNodeFactory _peers;
    private readonly PeerState _target;
    private readonly IPAddress? _targetVrrp;
    private readonly RedisSettings _settings;
    private readonly IActorRef _replyTo;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    /// <summary>Creates the saga; it starts preparing at once.</summary>
    /// <param name="local">The local Redis (a master).</param>
    /// <param name="peers">Connects to the target's Redis.</param>
    /// <param name="target">The target as gossiped.</param>
    /// <param name="settings">Redis settings (sync-timeout, check timeout).</param>
    /// <param name="replyTo">Receives the <see cref="SwitchoverResult"/>.</param>
    public SwitchoverActor(IRedisNode local, IRedisNodeFactory peers, PeerState target, RedisSettings settings, IActorRef replyTo)
    {
        _local = local;
        _peers = peers;
        _target = target;
        _targetVrrp = IPAddress.TryParse(target.VrrpAddress, out var a) ? a : null;
        _settings = settings;
        _replyTo = replyTo;
        Preparing();
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(IRedisNode local, IRedisNodeFactory peers, PeerState target, RedisSettings settings, IActorRef replyTo) =>
        Akka.Actor.Props.Create(() => new SwitchoverActor(local, peers, target, settings, replyTo));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info("switchover to {0} requested: pausing writes and waiting for its replica to catch up", _target.Name);
        SwitchoverPreparation.RunAsync(_local, _peers, _target.AnnounceHost, _target.RedisPort, _settings.SyncTimeout, _settings.HandoverLimit,
                _settings.Check.Timeout)
            .PipeTo(Self, success: o => new Prepared(o), failure: e => new Prepared(new SwitchoverPreparation.Outcome(false, $"aborted: {e.Message}")));
    }

    private void Preparing()
    {
        Receive<Prepared>(m =>
        {
            if (!m.Outcome.Ready)
            {
                // Nothing changed: writes already resumed.
                Finish(false, m.Outcome.Message, $"switchover {m.Outcome.Message}");
                return;
            }
            _log.Info("switchover to {0}: {1}; yielding the VIP", _target.Name, m.Outcome.Message);
            Context.Parent.Tell(new HandingOver(_target.Name));
            Timers.StartSingleTimer("handover", new TimedOut(), _settings.HandoverLimit);
            Become(() => HandingOverVip(m.Outcome.Message));
        });
        Receive<MasterSeen>(_ => { });
    }

    private void HandingOverVip(string detail)
    {
        Receive<MasterSeen>(m =>
        {
            if (!m.Master.Equals(_targetVrrp)) return;
            var ms = Stopwatch.GetElapsedTime(_startedAt).TotalMilliseconds;
            var text = $"switchover to {_target.Name} done in {ms:0} ms ({detail}); this node does not preempt back until it restarts or is switched over to";
            Finish(true, text, text);
        });
        Receive<TimedOut>(_ =>
        {
            _local.ResumeWritesAsync(_settings.Check.Timeout).ContinueWith(_ => { }, TaskScheduler.Default);
            var text = $"switchover to {_target.Name} failed: it did not take the VIP within {_settings.HandoverLimit.TotalSeconds:0} s; writes resumed here";
            Finish(false, text, text);
        });
    }

    private void Finish(bool done, string reply, string logLine)
    {
        if (done) _log.Info(logLine);
        else _log.Warning(logLine);
        _replyTo.Tell(new SwitchoverResult(done, reply));
        Context.Parent.Tell(new Ended(_target.Name, done));
        Context.Stop(Self);
    }
}
