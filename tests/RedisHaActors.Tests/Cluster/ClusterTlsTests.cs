using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using RedisHaActors.Cluster;
using RedisHaActors.Configuration;
using RedisHaActors.Tests.Fakes;
using AkkaCluster = Akka.Cluster.Cluster;
using MemberStatus = Akka.Cluster.MemberStatus;

namespace RedisHaActors.Tests.Cluster;

/// <summary>
/// Mutual TLS on the cluster transport across in-process actor systems on 127.0.0.1 (<see cref="ClusterConfig.For"/>
/// with TLS on, <see cref="ClusterTrust.Setups"/>): nodes with certificates from the set's CA form a cluster; a
/// node with a certificate from another CA, or with no TLS at all, can neither join nor remove a member. Every
/// wait is bounded; every system is terminated.
/// </summary>
public sealed class ClusterTlsTests : IDisposable
{
    private static readonly TimeSpan JoinWait = TimeSpan.FromSeconds(20);

    /// <summary>How long a refused node keeps trying before the test looks: several of Akka's join retries (2 s).</summary>
    private static readonly TimeSpan RogueTries = TimeSpan.FromSeconds(7);

    /// <summary>How long a node keeps dialing a failing peer: a few reopenings of the 1 s gate (cluster.conf).</summary>
    private static readonly TimeSpan Dialing = TimeSpan.FromSeconds(4);

    private readonly TestCertificates _set = new("redis-ha set CA");
    private readonly TestCertificates _other = new("another CA");
    private readonly List<ActorSystem> _systems = [];

    [Fact]
    public void Members_with_the_sets_certificates_form_a_cluster_and_a_node_of_another_CA_cannot_join()
    {
        var (a, aTrust) = StartTls(_set.Trust, _set.Issue("n1"));
        var (b, _) = StartTls(_set.Trust, _set.Issue("n2"));
        var first = AkkaCluster.Get(a);
        Assert.Equal(ClusterTlsSettings.TlsProtocol, first.SelfAddress.Protocol);
        first.Join(first.SelfAddress);
        AkkaCluster.Get(b).Join(first.SelfAddress);
        AwaitUp(a, 2, "n2 (same CA) joined");

        // The rogue trusts the set's CA (so it would accept the set's nodes) but its own certificate is from another CA.
        var (rogue, _) = StartTls(_set.Trust, _other.Issue("rogue"));
        AkkaCluster.Get(rogue).Join(first.SelfAddress);
        Thread.Sleep(RogueTries);
        Assert.Equal(2, first.State.Members.Count);
        Assert.DoesNotContain(first.State.Members, m => m.Address.Equals(AkkaCluster.Get(rogue).SelfAddress));
        Assert.NotEqual(MemberStatus.Up, AkkaCluster.Get(rogue).SelfMember.Status);
        Assert.True(aTrust.Refused > 0, "the refusal is counted by the node it tried");
    }

    [Fact]
    public void A_node_without_TLS_cannot_join_nor_make_a_member_leave()
    {
        var (a, _) = StartTls(_set.Trust, _set.Issue("n1"));
        var first = AkkaCluster.Get(a);
        first.Join(first.SelfAddress);
        AwaitUp(a, 1, "n1 formed its cluster");

        var plain = Start(ClusterConfig.For(new ClusterGuardSettings([], "127.0.0.1", 0, TwoVoterMode.Quorum), NodeFile()), []);
        var target = first.SelfAddress.WithProtocol(ClusterTlsSettings.PlainProtocol);
        var rogue = AkkaCluster.Get(plain);
        rogue.Join(target);
        // A member may ask any member to leave: the rogue tries, as if it had been let in.
        rogue.Leave(target);
        Thread.Sleep(RogueTries);
        Assert.Single(first.State.Members);
        Assert.Equal(MemberStatus.Up, first.SelfMember.Status);
        Assert.False(a.WhenTerminated.IsCompleted);
    }

    /// <summary>
    /// Issue 12: the node dials something at a cluster address that fails the handshake (a voter's address taken by an
    /// impostor with another CA's certificate, a voter with an expired certificate, a listener that closes at once or
    /// answers in plain text). The dialing node refuses (or is refused), counts and logs it, and keeps running: the
    /// failed handshake is a failed association (the address is gated and retried), never a stop of the actor system.
    /// Afterwards a member of the set still joins it.
    /// </summary>
    [Theory]
    [InlineData("another CA")]
    [InlineData("expired")]
    [InlineData("closes")]
    [InlineData("plain text")]
    public void A_node_whose_outbound_handshake_fails_keeps_running_and_still_forms_its_cluster(string peerKind)
    {
        using var peer = peerKind switch
        {
            "another CA" => new FakeClusterPeer(_other.Issue("n2")),
            "expired" => new FakeClusterPeer(_set.Issue("n2", notAfter: DateTimeOffset.UtcNow.AddMinutes(-1))),
            "closes" => new FakeClusterPeer(FakeClusterPeer.Behaviour.Close),
            _ => new FakeClusterPeer(FakeClusterPeer.Behaviour.PlainText),
        };
        var (a, aTrust) = StartTls(_set.Trust, _set.Issue("n1"));
        var target = new Address(ClusterTlsSettings.TlsProtocol, ClusterGuardSettings.SystemName, "127.0.0.1", peer.Port);
        // A message to a gated address goes to dead letters: keep sending, so that every reopened gate is dialed again.
        // (A plain message: an Identify from no sender makes Akka's dead letters throw, which stops its remoting.)
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Dialing)
        {
            a.ActorSelection(new RootActorPath(target) / "system" / "probe").Tell("dial");
            Thread.Sleep(200);
        }
        var stopped = CoordinatedShutdown.Get(a).ShutdownReason;
        Assert.True(stopped is null, $"the node's actor system was stopped: {stopped} (exit code {stopped?.ExitCode})");
        Assert.False(a.WhenTerminated.IsCompleted, "the node's actor system still runs");
        Assert.True(peer.Connections >= 2, $"the node dialed the peer again after a failed handshake ({peer.Connections} connections)");
        if (peerKind is "another CA" or "expired")
            Assert.True(aTrust.Refused > 0, "the peer's certificate was refused and counted by the node that dialed it");

        var first = AkkaCluster.Get(a);
        first.Join(first.SelfAddress);
        var (b, _) = StartTls(_set.Trust, _set.Issue("n3"));
        AkkaCluster.Get(b).Join(first.SelfAddress);
        AwaitUp(a, 2, "a member of the set joined the node after its failed handshakes");
    }

    /// <summary>
    /// The wire stays Akka's: a node of the previous version (Akka's DotNetty transport with TLS, the same CA check as its
    /// validator) and a node on <see cref="ClusterTlsTransport"/> form one cluster, whichever joins whom (a rolling upgrade).
    /// </summary>
    [Fact]
    public void A_node_on_Akkas_own_TLS_transport_and_one_on_this_transport_form_a_cluster()
    {
        var (a, _) = StartTls(_set.Trust, _set.Issue("n1"));
        var previous = new ClusterTrust(_set.Trust, _set.Issue("n2"));
        var dotNetty = new DotNettySslSetup(previous.Certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, customValidator: (c, ch, peer, e, log) => previous.Validate(c, ch, peer, e, log));
        var config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on")
            .WithFallback(ClusterConfig.For(new ClusterGuardSettings([], "127.0.0.1", 0, TwoVoterMode.Quorum), NodeFile()));
        var b = Start(config, [dotNetty, new ClusterTrustSetup(previous)]);
        Assert.Equal(ClusterTlsSettings.TlsProtocol, AkkaCluster.Get(b).SelfAddress.Protocol);
        var first = AkkaCluster.Get(b);
        first.Join(first.SelfAddress);
        AkkaCluster.Get(a).Join(first.SelfAddress);
        AwaitUp(a, 2, "the node on this transport joined the node on Akka's");
        AwaitUp(b, 2, "the node on Akka's transport sees it Up");
    }

    /// <summary>
    /// What the coordinator does when the cluster downs its node: the actor system stops and a new one starts in the same
    /// process on the same port. The transport's shutdown releases the port and its connections, so the new incarnation
    /// binds it at once and rejoins.
    /// </summary>
    [Fact]
    public async Task A_node_restarted_in_process_binds_its_port_again_at_once_and_rejoins()
    {
        var (a, _) = StartTls(_set.Trust, _set.Issue("n1"));
        var first = AkkaCluster.Get(a);
        first.Join(first.SelfAddress);
        var certificate = _set.Issue("n2");
        var (b, _) = StartTls(_set.Trust, certificate);
        var port = AkkaCluster.Get(b).SelfAddress.Port!.Value;
        AkkaCluster.Get(b).Join(first.SelfAddress);
        AwaitUp(a, 2, "n2 joined");

        await b.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
        var (again, _) = StartTls(_set.Trust, certificate, port);
        Assert.Equal(port, AkkaCluster.Get(again).SelfAddress.Port);
        AkkaCluster.Get(again).Join(first.SelfAddress);
        var clock = Stopwatch.StartNew();
        while (!first.State.Members.Any(m => m.Address.Equals(AkkaCluster.Get(again).SelfAddress) && m.UniqueAddress.Uid == AkkaCluster.Get(again).SelfUniqueAddress.Uid
                                             && m.Status == MemberStatus.Up))
        {
            if (clock.Elapsed > JoinWait) Assert.Fail($"the new incarnation did not become Up within {JoinWait.TotalSeconds} s; members {string.Join(", ", first.State.Members)}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public void The_issuer_check_refuses_another_CA_and_an_expired_certificate_and_accepts_the_sets()
    {
        var now = DateTime.UtcNow;
        Assert.Null(RedisHaActors.Primitives.CertificateIssuer.Refusal(_set.Issue("n1"), _set.Trust, now));
        Assert.Contains("not issued by the set's CA", RedisHaActors.Primitives.CertificateIssuer.Refusal(_other.Issue("rogue"), _set.Trust, now));
        Assert.Equal("no certificate", RedisHaActors.Primitives.CertificateIssuer.Refusal(null, _set.Trust, now));
        var expired = _set.Issue("old", notAfter: DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Contains("expired", RedisHaActors.Primitives.CertificateIssuer.Refusal(expired, _set.Trust, now));
    }

    private (ActorSystem System, ClusterTrust Trust) StartTls(X509Certificate2Collection authority, X509Certificate2 certificate, int port = 0)
    {
        var tls = new ClusterTlsSettings(true, "/ca.crt", "/node.crt", "/node.key");
        var trust = new ClusterTrust(authority, certificate);
        var system = Start(ClusterConfig.For(new ClusterGuardSettings([], "127.0.0.1", port, TwoVoterMode.Quorum, tls), NodeFile()), trust.Setups());
        return (system, trust);
    }

    private ActorSystem Start(Config config, IReadOnlyList<Setup> setups)
    {
        ActorSystemSetup setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        foreach (var s in setups) setup = setup.And(s);
        var system = ActorSystem.Create(ClusterGuardSettings.SystemName, setup);
        lock (_systems) _systems.Add(system);
        return system;
    }

    private static Config NodeFile() => ConfigurationFactory.ParseString("""
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          coordinated-shutdown.run-by-actor-system-terminate = off
        }
        """);

    private static void AwaitUp(ActorSystem system, int members, string what)
    {
        var cluster = AkkaCluster.Get(system);
        var clock = Stopwatch.StartNew();
        while (cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < members)
        {
            if (clock.Elapsed > JoinWait) Assert.Fail($"{what}: not seen within {JoinWait.TotalSeconds} s; members {string.Join(", ", cluster.State.Members)}");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        ActorSystem[] systems;
        lock (_systems) systems = _systems.ToArray();
        Task.WaitAll(systems.Select(s => s.Terminate()).ToArray(), TimeSpan.FromSeconds(20));
        _set.Dispose();
        _other.Dispose();
    }
}
