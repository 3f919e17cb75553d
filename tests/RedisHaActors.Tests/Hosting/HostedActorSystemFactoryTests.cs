using Akka.Actor;
using Akka.Actor.Setup;
using Akka.DependencyInjection;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RedisHaActors.Hosting;

using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Hosting;

/// <summary>
/// The host's own actor-system factory must build what Akka.Hosting's factory builds (it only
/// skips Akka's app.config probe), and the hosted service must start and stop it as before.
/// </summary>
public sealed class HostedActorSystemFactoryTests
{
    private const string SystemName = "factory-test";

    private sealed class Marker;

    private sealed class MarkerSetup : Setup;

    private sealed class EchoKey;

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<string>(s => Sender.Tell("echo " + s));
    }

    /// <summary>What a host gives Akka.Hosting's hosted service; stopping cancels ApplicationStopping.</summary>
    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _started = new(), _stopping = new(), _stopped = new();
        public CancellationToken ApplicationStarted => _started.Token;
        public CancellationToken ApplicationStopping => _stopping.Token;
        public CancellationToken ApplicationStopped => _stopped.Token;
        public void StopApplication() => _stopping.Cancel();
        public void Dispose()
        {
            _started.Dispose();
            _stopping.Dispose();
            _stopped.Dispose();
        }
    }

    private static Microsoft.Extensions.DependencyInjection.ServiceProvider Services(bool ours)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IHostApplicationLifetime, Lifetime>();
        services.AddSingleton<Marker>();
        services.AddAkka(SystemName, (akka, _) =>
        {
            akka.AddHocon("factory-test.answer = 42", HoconAddMode.Prepend)
                .AddSetup(new MarkerSetup())
                .WithActors((system, registry) => registry.Register<EchoKey>(system.ActorOf(Props.Create<Echo>(), "echo")));
        });
        if (ours) services.UseActorSystemWithoutAppConfig(SystemName);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Builds_the_same_system_as_Akka_Hosting_and_the_hosted_service_runs_it()
    {
        await using var theirsServices = Services(ours: false);
        await using var oursServices = Services(ours: true);
        var theirs = theirsServices.GetRequiredService<ActorSystem>();
        var ours = oursServices.GetRequiredService<ActorSystem>();
        try
        {
            Assert.Equal(theirs.Name, ours.Name);
            Assert.Equal(42, ours.Settings.Config.GetInt("factory-test.answer"));
            // The whole merged configuration (builder HOCON, Akka.Streams defaults, Akka's reference) is identical.
            Assert.Equal(theirs.Settings.Config.Root.ToString(), ours.Settings.Config.Root.ToString());
            foreach (var system in new[] { theirs, ours })
            {
                Assert.True(system.Settings.Setup.Get<MarkerSetup>().HasValue);
                Assert.True(system.Settings.Setup.Get<LoggerFactorySetup>().HasValue);
                Assert.True(system.Settings.Setup.Get<BootstrapSetup>().HasValue);
            }
            // The dependency resolver is the host's container.
            Assert.Same(oursServices.GetRequiredService<Marker>(), DependencyResolver.For(ours).Resolver.GetService<Marker>());

            // Akka.Hosting's hosted service starts the builder's actors on our system and stops it.
            var hosted = oursServices.GetServices<IHostedService>().ToArray();
            Assert.NotEmpty(hosted);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (var h in hosted) await h.StartAsync(cts.Token);
            var echo = await ActorRegistry.For(ours).GetAsync<EchoKey>(cts.Token);
            Assert.Equal("echo hi", await echo.Ask<string>("hi", TimeSpan.FromSeconds(5)));
            foreach (var h in hosted.Reverse()) await h.StopAsync(cts.Token);
            await ours.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(10), cts.Token); // the hosted service stops the actor system
        }
        finally
        {
            await Task.WhenAll(theirs.Terminate(), ours.Terminate());
        }
    }

    [Fact]
    public async Task Refuses_a_builder_with_extensions_it_would_otherwise_drop()
    {
        // Both internal collections are found in this Akka.Hosting (a rename would hide them).
        Assert.Equal(["Extensions", "Serializers"], HostedActorSystemFactory.UnsupportedBuilderParts.Select(f => f.Name));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAkka(SystemName, (akka, _) => akka.WithExtensions(typeof(DependencyResolverExtension)));
        services.UseActorSystemWithoutAppConfig(SystemName);
        await using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<NotSupportedException>(() => provider.GetRequiredService<ActorSystem>());
        Assert.Contains("Extensions", e.Message);
    }

    [Fact]
    public void Refuses_to_replace_a_registration_that_AddAkka_has_not_made()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().UseActorSystemWithoutAppConfig(SystemName));
        Assert.Contains("AddAkka", e.Message);
    }
}
