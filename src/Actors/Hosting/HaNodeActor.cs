using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;
using RedisHaActors.Redis;
using RedisHaActors.Status;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// Supervisor of one node: creates the role flipper, the VRRP actor and the Redis monitor and
/// wires them (monitor -> VRRP: health; VRRP -> role flipper: state; monitor -> role flipper:
/// replication facts). A crashed child is restarted with its state rebuilt from scratch
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
    private DateTimeOffset _startedAt;
    private TimeSpan _startedClock;

    /// <summary>Longest wait for each child's status answer.</summary>
    public static readonly TimeSpan ChildStatusTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates the supervisor.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="io">External effects.</param>
    /// <param name="announceHost">How peers reach our Redis (announce-host or the interface address).</param>
    public HaNodeActor(HaSettings settings, NodeIo io, string announceHost)
    {
        _settings = settings;
        _io = io;
        _announceHost = announceHost;
        Receive<GetVrrpStatus>(m => _vrrp.Forward(m));
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
        _log.Error("{0} stopped after repeated failures; shutting the node down (exit code {1})", m.ActorRef.Path.Name, ExitChildFailed);
        Environment.ExitCode = ExitChildFailed;
        CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.UnknownReason.Instance);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(HaSettings settings, NodeIo io, string announceHost) =>
        Akka.Actor.Props.Create<HaNodeActor>(settings, io, announceHost);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info($"starting node: {_settings.Summary()}");
        _startedAt = DateTimeOffset.UtcNow;
        _startedClock = _io.Clock.Now;
        _localRedis = _io.Redis.Create(_settings.Redis.Host, _settings.Redis.Port);
        _roleFlip = Context.ActorOf(RoleFlipActor.Props(_settings.Redis, _localRedis, _io.Redis, _announceHost), "role-flip");
        _vrrp = Context.ActorOf(VrrpActor.Props(_settings.Vrrp, _io.OpenTransport, _io.CreateVirtualAddresses, _roleFlip, _io.Clock), "vrrp");
        _monitor = Context.ActorOf(RedisMonitorActor.Props(_settings.Redis, _settings.Vrrp.Priority, _localRedis, _vrrp, _roleFlip), "redis-monitor");
        Context.Watch(_roleFlip);
        Context.Watch(_vrrp);
        Context.Watch(_monitor);
        if (_settings.StatusEndpoint.Listen is { } listen)
            Context.ActorOf(StatusEndpointActor.Props(listen, Self), "status");
    }

    private void Handle(GetNodeStatus _)
    {
        var header = new NodeStatus(_settings.Node.Name, _startedAt, (_io.Clock.Now - _startedClock).TotalSeconds,
            _settings.Vrrp.Interface, _settings.Vrrp.VirtualRouterId, _settings.Vrrp.Priority,
            _settings.Vrrp.VirtualAddresses.Select(v => v.ToString()).ToArray(), null, null, null);
        NodeStatusGatherer.GatherAsync(header, _vrrp, _monitor, _roleFlip, ChildStatusTimeout).PipeTo(Sender);
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
