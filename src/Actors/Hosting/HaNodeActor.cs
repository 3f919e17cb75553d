using System.Diagnostics;
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
/// Supervisor of one node: creates the role flipper, the VRRP actor, the Redis monitor and (when
/// seed nodes are configured) the cluster guard, and routes between them: monitor -> VRRP
/// (health), VRRP -> role flipper (state), monitor -> role flipper (replication facts), guard ->
/// VRRP and role flipper (quorum, masters seen in the cluster); what passes through also becomes
/// this node's gossiped <see cref="PeerState"/>. A crashed child is restarted with its state rebuilt from scratch
/// (VRRP starts again as BACKUP and removes the VIP), which is always safe. Answers
/// <see cref="GetNodeStatus"/> by asking its children, and runs the status endpoint when
/// <see cref="HaSettings.StatusEndpoint"/> has an address.
/// </summary>
public sealed class HaNodeActor : ReceiveActor, IWithTimers
{
    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private readonly HaSettings _settings;
    private readonly NodeIo _io;
    private readonly string _announceHost;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IRedisNode? _localRedis;
    private IActorRef _vrrp = ActorRefs.Nobody;
    private IActorRef _monitor = ActorRefs.Nobody;
    private IActorRef _roleFlip = ActorRefs.Nobody;
    private IActorRef _guard = ActorRefs.Nobody;
    private readonly IPAddress? _vrrpAddress;
    private VrrpState _vrrpState = VrrpState.Initialize;
    private byte _priority;
    private ReplicationFacts? _redisFacts;
    private PeerState? _published;
    private HealthChanged? _health;
    private IReadOnlyList<PeerView> _peerViews = [];
    private string? _defer;
    private Handover? _handover;
    private bool _handoverPreparing;
    // After a switchover away from this node it must not preempt the VIP back (it stays eligible
    // for a real failover) until it restarts or is switched over to.
    private bool _switchedAway;
    private long _handoverIds;

    private sealed record Handover(long Id, string To, IPAddress? ToVrrp, IActorRef ReplyTo, long StartedAt, string Detail);

    private sealed record HandoverReady(string To, IPAddress? ToVrrp, IActorRef ReplyTo, long StartedAt, string Detail);

    private sealed record HandoverTimedOut(long Id);
    private long _publishedAt;
    private DateTimeOffset _startedAt;
    private TimeSpan _startedClock;

    /// <summary>Longest wait for each child's status answer.</summary>
    public static readonly TimeSpan ChildStatusTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates the supervisor.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="io">External effects.</param>
    /// <param name="announceHost">How peers reach our Redis (announce-host or the interface address).</param>
    /// <param name="vrrpAddress">Primary address on the VRRP interface (gossiped so peers can match our adverts).</param>
    public HaNodeActor(HaSettings settings, NodeIo io, string announceHost, IPAddress? vrrpAddress = null)
    {
        _settings = settings;
        _io = io;
        _announceHost = announceHost;
        _vrrpAddress = vrrpAddress;
        _priority = settings.Vrrp.Priority;
        Receive<GetVrrpStatus>(m => _vrrp.Forward(m));
        Receive<HealthChanged>(Handle);
        Receive<VrrpStatusChanged>(Handle);
        Receive<VrrpMasterChanged>(Handle);
        Receive<VrrpLeaseRenewed>(m => _roleFlip.Forward(m));
        Receive<Switchover>(Handle);
        Receive<HandoverReady>(Handle);
        Receive<HandoverTimedOut>(Handle);
        Receive<SwitchoverResult>(Handle);
        Receive<LocalRedisObserved>(Handle);
        Receive<QuorumChanged>(Handle);
        Receive<PeersChanged>(Handle);
        Receive<GetNodeStatus>(Handle);
        Receive<Terminated>(Handle);
    }

    /// <summary>Process exit code when a child kept failing and the node gave up (see README).</summary>
    public const int ExitChildFailed = 4;

    private void Handle(Terminated m)
    {
        // A child stops only after the supervisor's retries ran out. A node without VRRP, its
        // monitor or its role flipper must not keep running half-alive: exit, so the service
        // manager restarts it from scratch (and removes nothing it should not: the VIP lease lapses).
        GiveUp(Context.System, _log, m.ActorRef.Path.Name);
    }

    /// <summary>Logs that <paramref name="child"/> kept failing and shuts the node down with <see cref="ExitChildFailed"/>.</summary>
    internal static void GiveUp(ActorSystem system, ILoggingAdapter log, string child)
    {
        log.Error("{0} stopped after repeated failures; shutting the node down (exit code {1})", child, ExitChildFailed);
        Environment.ExitCode = ExitChildFailed;
        CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(HaSettings settings, NodeIo io, string announceHost, IPAddress? vrrpAddress = null) =>
        Akka.Actor.Props.Create<HaNodeActor>(settings, io, announceHost, vrrpAddress);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info($"starting node: {_settings.Summary()}");
        _startedAt = DateTimeOffset.UtcNow;
        _startedClock = _io.Clock.Now;
        _localRedis = _io.Redis.Create(_settings.Redis.Host, _settings.Redis.Port);
        var guarded = _settings.Cluster.Enabled;
        if (!guarded)
            _log.Warning("cluster guard off (akka.cluster.seed-nodes is empty): VRRP alone decides, so a partition can give two masters");
        _roleFlip = Context.ActorOf(RoleFlipActor.Props(_settings.Redis, _localRedis, _io.Redis, _announceHost,
            guarded ? _settings.Vrrp.AdvertInterval : null), "role-flip");
        _vrrp = Context.ActorOf(VrrpActor.Props(_settings.Vrrp, _io.OpenTransport, _io.CreateVirtualAddresses, Self, _io.Clock, guarded), "vrrp");
        _monitor = Context.ActorOf(RedisMonitorActor.Props(_settings.Redis, _settings.Vrrp.Priority, _localRedis, Self, Self), "redis-monitor");
        if (guarded)
        {
            _guard = Context.ActorOf(ClusterGuardActor.Props(_settings.Cluster, Self), "cluster-guard");
            Context.Watch(_guard);
        }
        Context.Watch(_roleFlip);
        Context.Watch(_vrrp);
        Context.Watch(_monitor);
        if (_settings.StatusEndpoint.Listen is { } listen)
            Context.ActorOf(StatusEndpointActor.Props(listen, Self, _settings.Redis.SyncTimeout + TimeSpan.FromSeconds(15)), "status");
    }

    private void Handle(HealthChanged m)
    {
        _priority = m.EffectivePriority;
        _health = m;
        _vrrp.Tell(Gated(m));
        PublishState();
    }

    /// <summary>The monitor's verdict, made ineligible while <see cref="DataPreference"/> defers or a
    /// switchover hands the VIP away, and never preempting after one.</summary>
    private HealthChanged Gated(HealthChanged m)
    {
        if (_handover is { } h) return m with { Eligible = false, Cause = $"switchover to {h.To}" };
        if (_defer is not null) return m with { Eligible = false, Cause = $"not eligible: {_defer}" };
        return _switchedAway ? m with { InSync = false } : m;
    }

    private void Handle(VrrpMasterChanged m)
    {
        _roleFlip.Forward(m);
        CompleteHandover(m.Master);
    }

    private void Handle(Switchover m)
    {
        var refusal = SwitchoverRefusal(m.To, out var target);
        if (refusal is not null)
        {
            Sender.Tell(new SwitchoverResult(false, refusal));
            return;
        }
        _handoverPreparing = true;
        var replyTo = Sender;
        var started = Stopwatch.GetTimestamp();
        var toVrrp = IPAddress.TryParse(target!.VrrpAddress, out var a) ? a : null;
        _log.Info("switchover to {0} requested: pausing writes and waiting for its replica to catch up", m.To);
        SwitchoverPreparation.RunAsync(_localRedis!, _io.Redis, target.AnnounceHost, target.RedisPort, _settings.Redis.SyncTimeout, _settings.Redis.Check.Timeout)
            .PipeTo(Self, success: detail => detail.Ready
                    ? new HandoverReady(m.To, toVrrp, replyTo, started, detail.Message)
                    : (object)new SwitchoverResult(false, detail.Message),
                failure: e => new SwitchoverResult(false, $"aborted: {e.Message}"));
        // A failed preparation comes back as a SwitchoverResult to forward.
        _pendingReply = replyTo;
    }

    private IActorRef? _pendingReply;

    private string? SwitchoverRefusal(string to, out PeerState? target)
    {
        target = null;
        if (_guard.IsNobody()) return "refused: a switchover needs the cluster guard (akka.cluster.seed-nodes), which knows the peers";
        if (_handover is not null || _handoverPreparing) return "refused: a switchover is already in progress";
        if (to == _settings.Node.Name) return $"refused: {to} is this node";
        if (_vrrpState != VrrpState.Master) return $"refused: this node is not the master (VRRP {_vrrpState.ToString().ToUpperInvariant()}); run the switchover on the master's node";
        if (_redisFacts is not { Role: RedisRole.Master }) return "refused: the local Redis is not a master";
        var peer = _peerViews.FirstOrDefault(p => p.State.Name == to);
        if (peer is null)
            return $"refused: no node named {to} in the cluster (known: {string.Join(", ", _peerViews.Select(p => p.State.Name))})";
        if (peer.State.Role != "data") return $"refused: {to} is a witness";
        if (!peer.Reachable) return $"refused: {to} is unreachable";
        if (peer.State.RedisRole != "replica") return $"refused: {to}'s Redis is {peer.State.RedisRole}, not a replica";
        target = peer.State;
        return null;
    }

    private void Handle(SwitchoverResult m)
    {
        // Only a failed preparation arrives here: nothing changed, writes already resumed.
        _handoverPreparing = false;
        _log.Warning("switchover {0}", m.Message);
        _pendingReply?.Tell(m);
        _pendingReply = null;
    }

    private void Handle(HandoverReady m)
    {
        _handoverPreparing = false;
        _pendingReply = null;
        var id = ++_handoverIds;
        _handover = new Handover(id, m.To, m.ToVrrp, m.ReplyTo, m.StartedAt, m.Detail);
        _log.Info("switchover to {0}: {1}; yielding the VIP", m.To, m.Detail);
        if (_health is { } h) _vrrp.Tell(Gated(h));
        Timers.StartSingleTimer("handover", new HandoverTimedOut(id), _settings.Redis.SyncTimeout + TimeSpan.FromSeconds(5));
    }

    private void CompleteHandover(IPAddress? newMaster)
    {
        if (_handover is not { } h || newMaster is null || !newMaster.Equals(h.ToVrrp)) return;
        _handover = null;
        _switchedAway = true;
        var ms = Stopwatch.GetElapsedTime(h.StartedAt).TotalMilliseconds;
        var text = $"switchover to {h.To} done in {ms:0} ms ({h.Detail}); this node does not preempt back until it restarts or is switched over to";
        _log.Info(text);
        h.ReplyTo.Tell(new SwitchoverResult(true, text));
        if (_health is { } health) _vrrp.Tell(Gated(health));
    }

    private void Handle(HandoverTimedOut m)
    {
        if (_handover is not { } h || h.Id != m.Id) return;
        _handover = null;
        var text = $"switchover to {h.To} failed: it did not take the VIP within {(_settings.Redis.SyncTimeout + TimeSpan.FromSeconds(5)).TotalSeconds:0} s; writes resumed here";
        _log.Warning(text);
        _localRedis!.ResumeWritesAsync(_settings.Redis.Check.Timeout).ContinueWith(_ => { }, TaskScheduler.Default);
        h.ReplyTo.Tell(new SwitchoverResult(false, text));
        if (_health is { } health) _vrrp.Tell(Gated(health));
    }

    private void UpdateDataPreference()
    {
        var defer = DataPreference.Defer(_redisFacts, _peerViews);
        if (defer == _defer) return;
        var was = _defer;
        _defer = defer;
        if (defer is not null) _log.Warning("not eligible for MASTER: {0}", defer);
        else if (was is not null) _log.Info("eligible again: {0}", "no fuller Redis on a reachable peer");
        if (_health is { } h) _vrrp.Tell(Gated(h));
    }

    private void Handle(VrrpStatusChanged m)
    {
        _vrrpState = m.State;
        _roleFlip.Forward(m);
        CompleteHandover(m.State == VrrpState.Backup ? m.Master : null);
        PublishState();
    }

    private void Handle(LocalRedisObserved m)
    {
        _redisFacts = m.Probe.Passed ? m.Probe.Facts : null;
        _roleFlip.Forward(m);
        UpdateDataPreference();
        PublishState();
    }

    private void Handle(QuorumChanged m)
    {
        _vrrp.Tell(new QuorumVerdict(m.View.HasQuorum, m.View.Cause));
        _roleFlip.Tell(m);
    }

    private void Handle(PeersChanged m)
    {
        var masters = new List<ClusterMaster>();
        foreach (var peer in m.Peers)
        {
            if (peer.Reachable && peer.State.VrrpState == "master" && IPAddress.TryParse(peer.State.VrrpAddress, out var address))
                masters.Add(new ClusterMaster(address, (byte)Math.Clamp(peer.State.Priority, 0, 255)));
        }
        _vrrp.Tell(new ClusterMastersSeen(masters));
        _roleFlip.Tell(m);
        _peerViews = m.Peers;
        UpdateDataPreference();
    }

    /// <summary>How often an unchanged state with a moving offset is re-gossiped.</summary>
    private static readonly TimeSpan OffsetPublishInterval = TimeSpan.FromSeconds(1);

    private void PublishState()
    {
        if (_guard.IsNobody()) return;
        var state = new PeerState(_settings.Node.Name, "data", _settings.Cluster.SelfAddress.ToString(), _vrrpAddress?.ToString() ?? "",
            _announceHost, _settings.Redis.Port, _vrrpState.ToString().ToLowerInvariant(), _priority,
            _redisFacts?.Offset ?? -1, _redisFacts is null ? "down" : _redisFacts.Role == RedisRole.Master ? "master" : "replica", 0,
            _redisFacts?.Keys ?? -1);
        // Role, VRRP state, priority and empty/not empty go out at once; a moving offset or key
        // count about once a second.
        static PeerState Shape(PeerState p) => p with { ReplOffset = 0, Keys = Math.Sign(p.Keys) };
        var changed = _published is null || Shape(state) != Shape(_published);
        if (!changed && (state == _published || Stopwatch.GetElapsedTime(_publishedAt) < OffsetPublishInterval)) return;
        _published = state;
        _publishedAt = Stopwatch.GetTimestamp();
        _guard.Tell(new PublishLocalState(state));
    }

    private void Handle(GetNodeStatus _)
    {
        var header = new NodeStatus(_settings.Node.Name, _startedAt, (_io.Clock.Now - _startedClock).TotalSeconds,
            _settings.Vrrp.Interface, _settings.Vrrp.VirtualRouterId, _settings.Vrrp.Priority,
            _settings.Vrrp.VirtualAddresses.Select(v => v.ToString()).ToArray(), null, null, null);
        NodeStatusGatherer.GatherAsync(header, _vrrp, _monitor, _roleFlip, _guard, ChildStatusTimeout).PipeTo(Sender);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _localRedis?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(2));
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: 10, withinTimeRange: TimeSpan.FromMinutes(1), localOnlyDecider: e =>
        {
            _log.Error(e, "child failed, restarting it: {0}", e.Message);
            return Directive.Restart;
        });
}
