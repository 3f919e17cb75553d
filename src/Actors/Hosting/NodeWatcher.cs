using Akka.Actor;
using Akka.Event;

namespace RedisHaActors.Hosting;

/// <summary>
/// Watches the node supervisor from outside: if it stops while the system is not shutting down (its
/// start failed, or Akka's guardian stopped it), the node exits non-zero instead of running with
/// nothing inside (no VRRP, no checks, no endpoint) while the service manager sees it alive.
/// </summary>
public sealed class NodeWatcher : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Creates the watcher of <paramref name="node"/>.</summary>
    public NodeWatcher(IActorRef node)
    {
        Context.Watch(node);
        Receive<Terminated>(m =>
        {
            if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null) return;
            NodeFailedReason.GiveUp(Context.System, _log, $"the node supervisor {m.ActorRef.Path.Name} stopped");
        });
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(IActorRef node) => Akka.Actor.Props.Create(() => new NodeWatcher(node));
}
