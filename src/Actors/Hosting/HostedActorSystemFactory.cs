using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.DependencyInjection;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Akka.Util;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace RedisHaActors.Hosting;

/// <summary>
/// Creates the host's <see cref="ActorSystem"/> from Akka.Hosting's builder without Akka's
/// app.config probe.
/// </summary>
/// <remarks>
/// <c>ActorSystem.Create(name, setup)</c> (Akka 1.5) evaluates <c>ConfigurationFactory.Load()</c>
/// even when the setup carries a configuration, and throws the result away. That call starts
/// System.Configuration (its XML machine configuration, user-config paths hashed with SHA-256):
/// about 8 MB of RSS for nothing in a node that runs for months (bench/idle.sh: 96 -> 89 MB).
/// This factory builds the same setup as Akka.Hosting's own (bootstrap config and provider,
/// dependency resolver, logger factory, the builder's setups) and starts the system as
/// <c>ActorSystem.Create</c> does. Builder extensions and serializers, which this host does not use,
/// are refused rather than dropped; <c>HostedActorSystemFactoryTests</c> compares the result with
/// Akka.Hosting's.
/// </remarks>
public static class HostedActorSystemFactory
{
    /// <summary>
    /// Akka.Hosting's internal collections that its own factory turns into setup and this one does
    /// not (extensions, serializers); read by reflection. Empty if a new Akka.Hosting renamed them,
    /// which <c>HostedActorSystemFactoryTests</c> catches.
    /// </summary>
    internal static readonly System.Reflection.FieldInfo[] UnsupportedBuilderParts =
        new[] { "Extensions", "Serializers" }
            .Select(n => typeof(AkkaConfigurationBuilder).GetField(n, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic))
            .OfType<System.Reflection.FieldInfo>()
            .ToArray();

    /// <summary>
    /// Replaces the <see cref="ActorSystem"/> registration that <c>AddAkka</c> made. Call it after
    /// <c>AddAkka</c>.
    /// </summary>
    /// <param name="services">The host's services, after <c>AddAkka</c>.</param>
    /// <param name="actorSystemName">The name given to <c>AddAkka</c>.</param>
    /// <exception cref="InvalidOperationException"><c>AddAkka</c> was not called first.</exception>
    public static IServiceCollection UseActorSystemWithoutAppConfig(this IServiceCollection services, string actorSystemName)
    {
        if (!services.Any(d => d.ServiceType == typeof(ActorSystem)))
            throw new InvalidOperationException("AddAkka must register the actor system before it can be replaced");
        services.Replace(ServiceDescriptor.Singleton(sp => Create(actorSystemName, sp.GetRequiredService<AkkaConfigurationBuilder>(), sp)));
        return services;
    }

    /// <summary>Creates and starts the actor system described by <paramref name="builder"/>.</summary>
    /// <param name="actorSystemName">The system's name (URI-friendly).</param>
    /// <param name="builder">Akka.Hosting's builder, already configured.</param>
    /// <param name="services">The host's service provider, for the dependency resolver and logging.</param>
    /// <exception cref="NotSupportedException">The builder has extensions or serializers, which only
    /// Akka.Hosting's own factory applies.</exception>
    public static ActorSystem Create(string actorSystemName, AkkaConfigurationBuilder builder, IServiceProvider services)
    {
        // Refuse, rather than drop them silently, what this factory does not carry over.
        foreach (var unsupported in UnsupportedBuilderParts)
            if (unsupported.GetValue(builder) is System.Collections.ICollection { Count: > 0 })
                throw new NotSupportedException($"the host's actor-system factory does not apply AkkaConfigurationBuilder.{unsupported.Name}; " +
                                                "remove UseActorSystemWithoutAppConfig or extend it");
        var config = builder.Configuration.GetOrElse(Config.Empty);
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        if (builder.ActorRefProvider.HasValue)
            bootstrap = bootstrap.WithActorRefProvider(builder.ActorRefProvider.Value);

        ActorSystemSetup setup = bootstrap.And(DependencyResolverSetup.Create(services));
        if (!builder.Setups.Any(s => s is LoggerFactorySetup) && services.GetService<ILoggerFactory>() is { } loggerFactory)
            setup = setup.And(new LoggerFactorySetup(loggerFactory));
        foreach (var extra in builder.Setups)
            setup = setup.And(extra);

        var system = new ActorSystemImpl(actorSystemName, config, setup, Option<Props>.None);
        system.Start();
        return system;
    }
}
