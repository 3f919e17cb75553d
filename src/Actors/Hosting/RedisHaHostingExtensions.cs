using Akka.Hosting;
using RedisHaActors.Configuration;

namespace RedisHaActors.Hosting;

/// <summary>Marker for the node supervisor in Akka.Hosting's registry.</summary>
public sealed class HaNodeKey;

/// <summary>Akka.Hosting registration of a node.</summary>
public static class RedisHaHostingExtensions
{
    /// <summary>Starts the <see cref="HaNodeActor"/> as <c>/user/ha-node</c> and registers it under <see cref="HaNodeKey"/>.</summary>
    public static AkkaConfigurationBuilder WithRedisHaNode(this AkkaConfigurationBuilder builder, HaSettings settings, NodeIo io, string announceHost) =>
        builder.WithActors((system, registry) =>
            registry.Register<HaNodeKey>(system.ActorOf(HaNodeActor.Props(settings, io, announceHost), "ha-node")));
}
