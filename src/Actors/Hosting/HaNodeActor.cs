using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
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
public sealed class HaNodeActor : ReceiveActor
{
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
        Receive<VrrpMasterChanged>(m => _roleFlip.Forward(m));
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
            Context.ActorOf(StatusEndpointActor.Props(listen, Self), "status");
    }

    private void Handle(HealthChanged m)
    {
        _priority = m.EffectivePriority;
        _health = m;
        _vrrp.Tell(Gated(m));
        PublishState();
    }

    /// <summary>The monitor's verdict, made ineligible while <see cref="DataPreference"/> defers.</summary>
    private HealthChanged Gated(HealthChanged m) =>
        _defer is null ? m : m with { Eligible = false, Cause = $"not eligible: {_defer}" };

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
