using RedisHaActors.Primitives;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Status;

namespace RedisHaActors.Hosting;

/// <summary>
/// A witness node (<c>redis-ha.node.role = witness</c>): only the cluster guard (a vote, and a
/// relay for the peers' gossip) and the status endpoint. No VRRP, no Redis, so two data nodes and
/// one small witness make a majority of three.
/// </summary>
public sealed class WitnessNodeActor : ReceiveActor
{
    private readonly HaSettings _settings;
    private readonly IMonotonicClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _guard = ActorRefs.Nobody;
    private DateTimeOffset _startedAt;
    private TimeSpan _startedClock;
    private MaintenanceState? _maintenance;
    private bool _maintenanceKnown;

    /// <summary>Creates the witness.</summary>
    /// <param name="settings">Validated settings (role witness, guard enabled).</param>
    /// <param name="clock">Monotonic time for the uptime.</param>
    public WitnessNodeActor(HaSettings settings, IMonotonicClock clock)
    {
        _settings = settings;
        _clock = clock;
        Receive<QuorumChanged>(_ => { });
        Receive<PeersChanged>(_ => { });
        Receive<MaintenanceChanged>(m => (_maintenance, _maintenanceKnown) = (m.State, true));
        Receive<Control.Reload>(_ =>
        {
            // Said in the log too: a SIGHUP's sender sees no reply.
            const string refused = "reload refused: a witness applies no key at runtime; restart it to apply a changed file";
            _log.Warning(refused);
            Sender.Tell(new Control.ControlResult(false, refused));
        });
        Receive<GetNodeStatus>(Handle);
        // The guard is the witness's only part: without it the process has no reason to run.
        Receive<Terminated>(m => NodeFailedReason.GiveUp(Context.System, _log, $"{m.ActorRef.Path.Name} stopped"));
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(HaSettings settings, IMonotonicClock clock) => Akka.Actor.Props.Create<WitnessNodeActor>(settings, clock);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _log.Info($"starting witness: {_settings.Summary()}");
        _startedAt = DateTimeOffset.UtcNow;
        _startedClock = _clock.Now;
        _guard = Context.ActorOf(ClusterGuardActor.Props(_settings.Cluster, Self), "cluster-guard");
        Context.Watch(_guard);
        // Gossiped once joined, so peers' status lists the witness by name.
        _guard.Tell(new PublishLocalState(GossipMapping.Witness(_settings)));
        if (_settings.StatusEndpoint.Listen is { } listen)
            Context.ActorOf(StatusEndpointActor.Props(listen, Self), "status");
    }

    private void Handle(GetNodeStatus _)
    {
        var header = new NodeStatus(_settings.Node.Name, _startedAt, (_clock.Now - _startedClock).TotalSeconds, "", 0, 0, [], null, null, null, null,
            !_maintenanceKnown ? "unknown" : _maintenance is { Paused: true } m ? m.Describe() : "off");
        NodeStatusGatherer.GatherAsync(header, ActorRefs.Nobody, ActorRefs.Nobody, ActorRefs.Nobody, _guard, HaNodeActor.ChildStatusTimeout).PipeTo(Sender);
    }
}
