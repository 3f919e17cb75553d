using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Hosting;

/// <summary>
/// Supervisor of one node: creates the role flipper, the VRRP actor and the Redis monitor and
/// wires them (monitor -> VRRP: health; VRRP -> role flipper: state; monitor -> role flipper:
/// replication facts). A crashed child is restarted with its state rebuilt from scratch
/// (VRRP starts again as BACKUP and removes the VIP), which is always safe.
/// </summary>
public sealed class HaNodeActor : ReceiveActor
{
    private readonly HaSettings _settings;
    private readonly NodeIo _io;
    private readonly string _announceHost;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IRedisNode? _localRedis;

    /// <summary>Creates the supervisor.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="io">External effects.</param>
    /// <param name="announceHost">How peers reach our Redis (announce-host or the interface address).</param>
    public HaNodeActor(HaSettings settings, NodeIo io, string announceHost)
    {
        _settings = settings;
        _io = io;
        _announceHost = announceHost;
        Receive<GetVrrpStatus>(m => Context.Child("vrrp").Forward(m));
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(HaSettings settings, NodeIo io, string announceHost) =>
        Akka.Actor.Props.Create(() => new HaNodeActor(settings, io, announceHost));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info($"starting node: {_settings.Summary()}");
        _localRedis = _io.Redis.Create(_settings.Redis.Host, _settings.Redis.Port);
        var roleFlip = Context.ActorOf(RoleFlipActor.Props(_settings.Redis, _localRedis, _io.Redis, _announceHost), "role-flip");
        var vrrp = Context.ActorOf(VrrpActor.Props(_settings.Vrrp, _io.OpenTransport, _io.CreateVirtualAddresses, roleFlip, _io.Clock), "vrrp");
        Context.ActorOf(RedisMonitorActor.Props(_settings.Redis, _settings.Vrrp.Priority, _localRedis, vrrp, roleFlip), "redis-monitor");
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
