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
/// <c>ActorSystem.Create</c> does. It covers what this host uses: no builder extensions and no
/// builder serializers (Akka.Hosting adds those in its own factory); <c>HostedActorSystemFactoryTests</c>
/// compares the result with Akka.Hosting's.
/// </remarks>
public static class HostedActorSystemFactory
{
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
    public static ActorSystem Create(string actorSystemName, AkkaConfigurationBuilder builder, IServiceProvider services)
    {
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
