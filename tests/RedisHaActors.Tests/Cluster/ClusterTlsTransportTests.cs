using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using RedisHaActors.Cluster;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Cluster;

/// <summary>
/// <see cref="ClusterTlsTransport"/> and its connections (<see cref="TlsAssociationHandle"/>) driven directly, the way
/// Akka.Remote drives them, on 127.0.0.1: what happens to a connection nobody claims, one that breaks, a handshake that
/// is slow, hostile or throws. Every wait is bounded; every actor system is terminated.
/// </summary>
public sealed class ClusterTlsTransportTests : IDisposable
{
    private readonly TestCertificates _set = new("redis-ha set CA");
    private readonly TestCertificates _other = new("another CA");
    private readonly List<ActorSystem> _systems = [];

    [Fact]
    public async Task Shutdown_closes_every_connection_even_two_to_the_same_address()
    {
        using var peer = new FakeClusterPeer(_set.Issue("n2"));
        var (transport, _) = await Listening(_set.Issue("n1"));
        var target = new Address(ClusterTlsTransport.Scheme, "redis-ha", "127.0.0.1", peer.Port);
        var first = await transport.Associate(target);
        // A new association while the previous one still flushes: Akka's handles compare equal by their addresses.
        var second = await transport.Associate(target);
        first.ReadHandlerSource.SetResult(new Events());
        second.ReadHandlerSource.SetResult(new Events());
        Assert.Equal(first, second);

        await transport.Shutdown();
        var closed = Task.WhenAll(Closed(first), Closed(second));
        await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.True(Closed(first).IsCompleted, "the first connection was closed by the shutdown");
        Assert.True(Closed(second).IsCompleted, "the second connection to the same address was closed by the shutdown");
    }

    /// <summary>A listening transport with <paramref name="certificate"/> (trusting the set's CA) whose inbound connections go to the returned events.</summary>
    private async Task<(ClusterTlsTransport Transport, Events Inbound)> Listening(X509Certificate2 certificate, string section = "")
    {
        var transport = Transport(certificate, section);
        var (_, promise) = await transport.Listen();
        var inbound = new Events();
        promise.SetResult(inbound);
        return (transport, inbound);
    }

    /// <summary>A transport as Akka creates it, in an actor system of its own; <paramref name="section"/> adds keys to <c>akka.remote.dot-netty.tcp</c>.</summary>
    private ClusterTlsTransport Transport(X509Certificate2 certificate, string section = "", X509Certificate2Collection? authority = null)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = DEBUG
            akka.stdout-loglevel = WARNING
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0, connection-timeout = 3s
              {{section}}
            }
            """);
        var trust = new ClusterTrust(authority ?? _set.Trust, certificate);
        var system = ActorSystem.Create("redis-ha", ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config)).And(new ClusterTrustSetup(trust)));
        lock (_systems) _systems.Add(system);
        return new ClusterTlsTransport(system, config.GetConfig("akka.remote.dot-netty.tcp"));
    }

    private static Task Closed(AssociationHandle handle) => ((TlsAssociationHandle)handle).Closed;

    /// <summary>What Akka would be told: a connection's events, or a transport's inbound associations.</summary>
    private sealed class Events : IHandleEventListener, IAssociationEventListener
    {
        private readonly ConcurrentQueue<object> _seen = new();

        public void Notify(IHandleEvent ev) => _seen.Enqueue(ev);

        public void Notify(IAssociationEvent ev) => _seen.Enqueue(ev);

        public int Count<T>() => _seen.OfType<T>().Count();

        public T? First<T>() => _seen.OfType<T>().FirstOrDefault();
    }

    public void Dispose()
    {
        ActorSystem[] systems;
        lock (_systems) systems = _systems.ToArray();
        Task.WaitAll(systems.Select(s => s.Terminate()).ToArray(), TimeSpan.FromSeconds(10));
        _set.Dispose();
        _other.Dispose();
    }
}
