using System.Net;
using Akka.Actor;
using Akka.Hosting;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;

namespace RedisHaActors.Hosting;

/// <summary>Marker for the node supervisor in Akka.Hosting's registry.</summary>
public sealed class HaNodeKey;

/// <summary>Akka.Hosting registration of a node.</summary>
public static class RedisHaHostingExtensions
{
    /// <summary>
    /// Starts the node as <c>/user/ha-node</c> (a <see cref="HaNodeActor"/>, or a
    /// <see cref="WitnessNodeActor"/> for a witness) and registers it under <see cref="HaNodeKey"/>.
    /// With seed nodes configured, the actor system is a cluster node that joins through
    /// <see cref="ClusterFormationActor"/> (<see cref="ClusterConfig"/>). A <see cref="NodeWatcher"/> makes the
    /// process exit non-zero if the node supervisor stops (its start failed).
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="io">External effects (unused by a witness).</param>
    /// <param name="announceHost">How peers reach our Redis.</param>
    /// <param name="vrrpAddress">Primary address on the VRRP interface; null for a witness.</param>
    /// <param name="startPaused">The VIP is on the interface with no expiry: this node held it in maintenance mode before it restarted.</param>
    public static AkkaConfigurationBuilder WithRedisHaNode(this AkkaConfigurationBuilder builder, HaSettings settings, NodeIo io, string announceHost,
        IPAddress? vrrpAddress = null, bool startPaused = false)
    {
        if (settings.Cluster.Enabled)
        {
            builder.AddHocon(ClusterConfig.For(settings.Cluster, settings.Config), HoconAddMode.Prepend);
            if (settings.Cluster.Tls.Enabled)
                foreach (var setup in new ClusterTrust(settings.Cluster.Tls).Setups())
                    builder.AddSetup(setup);
        }
        return builder.WithActors((system, registry) =>
        {
            if (settings.Cluster.Enabled)
                system.ActorOf(ClusterFormationActor.Props(settings.Cluster), "cluster-formation");
            var props = settings.Node.Role == NodeRole.Witness
                ? WitnessNodeActor.Props(settings, io.Clock)
                : HaNodeActor.Props(settings, io, announceHost, vrrpAddress, startPaused: startPaused);
            var node = system.ActorOf(props, "ha-node");
            system.ActorOf(NodeWatcher.Props(node), "ha-node-watcher");
            registry.Register<HaNodeKey>(node);
        });
    }
}
