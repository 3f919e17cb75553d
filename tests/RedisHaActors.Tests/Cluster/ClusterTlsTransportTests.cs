using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;
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
        var transport = (await Listening(_set.Issue("n1"))).Transport;
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

    /// <summary>
    /// Akka's wait for an outbound association (its handshake timer, connection-timeout) can end before the transport's
    /// Associate returns; the connection then reaches a stopped actor and nobody ever claims it or disassociates it. It
    /// is closed once connection-timeout (3 s here) has passed unclaimed, not kept open as long as the peer is.
    /// </summary>
    [Fact]
    public async Task A_connection_Akka_never_claims_is_closed_after_connection_timeout()
    {
        using var peer = new FakeClusterPeer(_set.Issue("n2")); // keeps a connection 10 s
        var transport = (await Listening(_set.Issue("n1"))).Transport;
        var handle = await transport.Associate(new Address(ClusterTlsTransport.Scheme, "redis-ha", "127.0.0.1", peer.Port));
        var clock = Stopwatch.StartNew();
        await Task.WhenAny(Closed(handle), Task.Delay(TimeSpan.FromSeconds(8)));
        Assert.True(Closed(handle).IsCompleted, "the unclaimed connection is still open");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// One connection-timeout (2 s here) covers the TCP connect and the TLS handshake together: a peer slow to accept
    /// (its accept queue full: the kernel drops the first SYN, the second gets through a second later) and then silent
    /// fails the association 2 s after it began, not 1 s + 2 s.
    /// </summary>
    [Fact]
    public async Task Associate_has_one_deadline_for_the_connect_and_the_handshake()
    {
        var transport = (await Listening(_set.Issue("n1"), "connection-timeout = 2s")).Transport;
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        slow.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        slow.Listen(0);
        var port = ((IPEndPoint)slow.LocalEndPoint!).Port;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(IPAddress.Loopback, port);

        var clock = Stopwatch.StartNew();
        var associating = transport.Associate(new Address(ClusterTlsTransport.Scheme, "redis-ha", "127.0.0.1", port));
        await Task.Delay(200);
        // Room in the queue for the retried SYN; the connection is never accepted, so the handshake gets no answer.
        using var accepted = await slow.AcceptAsync();
        var e = await Assert.ThrowsAsync<InvalidAssociationException>(() => associating.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("no handshake within", e.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(2.6));
    }

    /// <summary>
    /// Whatever ends a connection's loops, even an exception nobody expected (here Akka's listener throws on a frame), Akka
    /// is told Disassociated exactly once, the fault is logged as an error and the connection is closed on both sides.
    /// </summary>
    [Fact]
    public async Task An_unexpected_fault_in_a_connection_tells_Akka_once_and_closes_it()
    {
        var a = await Listening(_set.Issue("n1"));
        var b = await Listening(_set.Issue("n2"));
        var outbound = await b.Transport.Associate(a.Address!);
        var bEvents = new Events();
        outbound.ReadHandlerSource.SetResult(bEvents);
        var inbound = await Eventually(() => a.Inbound.First<InboundAssociation>()?.Association, "the inbound association reached Akka");
        var throwing = new Events(throwOnPayload: true);
        inbound.ReadHandlerSource.SetResult(throwing);

        Assert.True(outbound.Write(ByteString.CopyFrom(1, 2, 3)));
        await Task.WhenAny(Task.WhenAll(Closed(inbound), Closed(outbound)), Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(Closed(inbound).IsCompleted, "the connection whose listener threw is closed");
        Assert.True(Closed(outbound).IsCompleted, "the peer's side is closed too");
        Assert.Equal(1, throwing.Count<Disassociated>());
        Assert.Equal(1, bEvents.Count<Disassociated>());
        await Eventually(() => a.Lines("failed unexpectedly") == 1 ? "" : null, "the fault logged as an error");
    }

    /// <summary>
    /// Issue 12: a host that speaks plain TCP to the cluster port, and one that speaks TLS without a certificate, are
    /// not only dropped but counted, each once: the first as a failed handshake (<see cref="ClusterTrust.HandshakesFailed"/>),
    /// the second as a refused certificate ("no certificate", <see cref="ClusterTrust.Refused"/>), in status and metrics. One
    /// that connects and closes without a word is neither.
    /// </summary>
    [Fact]
    public async Task A_plain_TCP_peer_and_a_TLS_peer_without_a_certificate_are_each_counted()
    {
        var node = await Listening(_set.Issue("n1"));
        // A peer that connects and closes at once (the set's own nodes do so while the cluster forms) is not counted.
        using (var scan = new TcpClient())
            await scan.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
        using (var plain = new TcpClient())
        {
            await plain.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
            await plain.GetStream().WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            Assert.True(await ClosedByPeer(plain.Client, TimeSpan.FromSeconds(6)), "the plain-TCP connection was dropped");
        }
        await Eventually(() => node.Trust.HandshakesFailed == 1 ? "" : null, "the plain-TCP attempt counted");

        using (var anonymous = new TcpClient())
        {
            await anonymous.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
            await using var tls = new SslStream(anonymous.GetStream());
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "n1", RemoteCertificateValidationCallback = (_, _, _, _) => true,
                }).WaitAsync(TimeSpan.FromSeconds(6));
                Assert.Equal(0, await tls.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(6)));
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // Refused during the handshake (TLS 1.2) rather than after it (TLS 1.3): as good.
            }
        }
        await Eventually(() => node.Trust.Refused == 1 ? "" : null, "the certificate-less attempt counted");
        Assert.Equal(1, node.Trust.HandshakesFailed);
        Assert.Equal(1, node.Lines("counted as cluster handshakes failed")); // then quiet for this host for a minute
    }

    /// <summary>
    /// A handshake that throws what no handshake should (here this node's own check: its CA certificate was disposed, a
    /// programming error) drops the connection at once in either direction: the dialing peer is not left waiting, the
    /// association fails as any failed handshake does, and the fault is logged as an error.
    /// </summary>
    [Fact]
    public async Task A_handshake_that_throws_unexpectedly_drops_its_connection_and_fails_the_association()
    {
        var broken = _set.Trust;
        broken[0].Dispose();
        var node = await Listening(_set.Issue("n1"), authority: broken);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
        await using var tls = new SslStream(client.GetStream());
        var dropped = Task.Run(async () =>
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "n1",
                ClientCertificateContext = SslStreamCertificateContext.Create(_set.Issue("n2"), null, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            return await tls.ReadAsync(new byte[1]);
        });
        try
        {
            Assert.Equal(0, await dropped.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // Dropped during the handshake: as good.
        }

        using var peer = new FakeClusterPeer(_set.Issue("n2"));
        await Assert.ThrowsAsync<InvalidAssociationException>(() => node.Transport.Associate(new Address(ClusterTlsTransport.Scheme, "redis-ha", "127.0.0.1", peer.Port)));
        await Eventually(() => node.Lines("handshake from 127.0.0.1") == 1 && node.Lines("handshake to ") == 1 ? "" : null,
            "both faults logged");
        Assert.Equal(2, node.Lines("failed unexpectedly"));
    }

    /// <summary>
    /// One host that opens connections and never starts a handshake holds at most 8 handshake slots: its ninth connection
    /// is closed at once (and logged), the first eight are still waiting.
    /// </summary>
    [Fact]
    public async Task One_host_holds_at_most_eight_inbound_handshakes_at_once()
    {
        var node = await Listening(_set.Issue("n1"));
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 9; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
            }
            Assert.True(await ClosedByPeer(silent[8], TimeSpan.FromSeconds(1.5)), "the ninth connection from one host is closed at once");
            Assert.All(silent.Take(8), s => Assert.False(s.Poll(0, SelectMode.SelectRead), "a connection within the share is still waiting for its handshake"));
            await Eventually(() => node.Lines("more than 8 handshakes in progress from 127.0.0.1") == 1 ? "" : null, "the refusal logged");
        }
        finally
        {
            foreach (var socket in silent) socket.Dispose();
        }
    }

    /// <summary>
    /// A host that connects and never starts a handshake holds its slot at most 5 s, even with a connection-timeout of
    /// 15 s (which bounds this node's own outbound connects).
    /// </summary>
    [Fact]
    public async Task An_inbound_handshake_gets_at_most_5_s_whatever_the_connection_timeout()
    {
        var node = await Listening(_set.Issue("n1"), "connection-timeout = 15s");
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, node.Address!.Port!.Value);
        var clock = Stopwatch.StartNew();
        Assert.True(await ClosedByPeer(silent, TimeSpan.FromSeconds(8)), "the silent connection is closed");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4.5), TimeSpan.FromSeconds(6.5));
    }

    /// <summary>
    /// With TLS 1.3 the dialing side's handshake is over before the peer has checked its certificate: a node whose
    /// certificate the peer refuses sees its association succeed, then the connection close before any frame. That is a
    /// failed handshake and is logged as one (once a minute per host), not as a closed connection or not at all.
    /// </summary>
    [Fact]
    public async Task An_outbound_connection_closed_before_the_peers_first_frame_is_logged_as_a_failed_handshake()
    {
        var victim = await Listening(_set.Issue("n1"));
        var refused = await Listening(_other.Issue("n2")); // trusts the set's CA, its own certificate from another CA
        var handle = await refused.Transport.Associate(victim.Address!);
        var events = new Events();
        handle.ReadHandlerSource.SetResult(events);
        handle.Write(ByteString.CopyFrom(new byte[10]));

        await Task.WhenAny(Closed(handle), Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(Closed(handle).IsCompleted, "the refused connection is closed");
        Assert.Equal(1, events.Count<Disassociated>());
        Assert.Equal(1, victim.Trust.Refused);
        await Eventually(() => refused.Lines($"handshake to {victim.Address} failed: the connection ended before the peer's first message") == 1 ? "" : null,
            "the refusal logged by the node that dialed");
        Assert.Equal(0, refused.Lines("connection with"));
    }

    /// <summary>Broken connections (here: a peer sending a frame over maximum-frame-size) are logged once a minute per peer host.</summary>
    [Fact]
    public async Task Broken_connections_with_one_host_are_logged_once_a_minute()
    {
        var node = await Listening(_set.Issue("n1"));
        var peer = await Listening(_set.Issue("n2"));
        for (var i = 1; i <= 2; i++)
        {
            var outbound = await peer.Transport.Associate(node.Address!);
            outbound.ReadHandlerSource.SetResult(new Events());
            var inbound = await Eventually(() => node.Inbound.Count<InboundAssociation>() == i ? node.Inbound.Last<InboundAssociation>()?.Association : null,
                $"inbound association {i}");
            inbound.ReadHandlerSource.SetResult(new Events());
            outbound.Write(ByteString.CopyFrom(new byte[200_000]));
            await Task.WhenAny(Closed(inbound), Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.True(Closed(inbound).IsCompleted, $"connection {i} closed for its oversized frame");
        }
        await Task.Delay(200);
        Assert.Equal(1, node.Lines("connection with ssl.tcp://redis-ha@127.0.0.1:"));
        Assert.Equal(1, node.Lines("over maximum-frame-size"));
    }

    /// <summary>
    /// An unauthenticated host dials the node with a certificate whose issuer it does not send but names by URL (authority
    /// information access). The handshake's chain build must not fetch it: that would make the node dial where the peer
    /// says and block a thread for up to 15 s per connection. The certificate is refused at once.
    /// </summary>
    [Fact]
    public async Task A_certificate_naming_its_issuer_by_URL_is_refused_without_fetching_it()
    {
        var victim = await Listening(_set.Issue("n1"));
        using var silent = new SilentHttpServer();
        using var attacker = CertificateNamingItsIssuerAt($"http://127.0.0.1:{silent.Port}/issuer.crt");

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, victim.Address!.Port!.Value);
        await using var tls = new SslStream(client.GetStream());
        var clock = Stopwatch.StartNew();
        try
        {
            // TLS 1.2: the server checks the client's certificate inside the handshake.
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "n1",
                ClientCertificateContext = SslStreamCertificateContext.Create(attacker, null, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                EnabledSslProtocols = SslProtocols.Tls12,
            }).WaitAsync(TimeSpan.FromSeconds(20));
            await tls.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // Refused: what should happen.
        }
        Assert.Equal(0, silent.Connections);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the refusal took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(1, victim.Trust.Refused);
    }

    [Fact]
    public void Both_directions_offer_TLS_1_2_and_1_3_only_and_build_chains_on_the_sets_CA_alone_without_fetching()
    {
        var transport = Transport(_set.Issue("n1")).Transport;
        RemoteCertificateValidationCallback check = (_, _, _, _) => true;
        var server = transport.ServerOptions(check);
        var client = transport.ClientOptions("192.0.2.2", check);
        foreach (var (protocols, policy) in new[] { (server.EnabledSslProtocols, server.CertificateChainPolicy), (client.EnabledSslProtocols, client.CertificateChainPolicy) })
        {
            Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, protocols);
            Assert.NotNull(policy);
            Assert.True(policy.DisableCertificateDownloads);
            Assert.Equal(X509RevocationMode.NoCheck, policy.RevocationMode);
            Assert.Equal(X509ChainTrustMode.CustomRootTrust, policy.TrustMode);
            Assert.Equal(_set.Authority.Thumbprint, Assert.Single(policy.CustomTrustStore).Thumbprint);
        }
        Assert.True(server.ClientCertificateRequired);
    }

    /// <summary>A peer at an IPv6 literal address (Akka writes it in brackets, <c>[::1]</c>) is dialed and authenticated.</summary>
    [Fact]
    public async Task A_peer_at_an_IPv6_literal_address_is_dialed_and_authenticated()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        var certificate = _set.Issue("n2");
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, c, _, _) => c is not null,
            });
            // Until the client closes.
            while (await tls.ReadAsync(new byte[64]) > 0)
            {
            }
        });
        var transport = (await Listening(_set.Issue("n1"))).Transport;
        var handle = await transport.Associate(Address.Parse($"akka.ssl.tcp://redis-ha@[::1]:{((IPEndPoint)listener.LocalEndpoint).Port}"));
        Assert.Equal("[::1]", handle.RemoteAddress.Host);
        handle.ReadHandlerSource.SetResult(new Events());
        handle.Disassociate("the test is over", NoLogger.Instance);
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>Akka drops a message larger than a peer accepts at the sender (the connection stays): the frame limit less its length.</summary>
    [Fact]
    public void Akka_is_told_the_largest_payload_a_peer_accepts()
    {
        Assert.Equal(256000 - 4, Transport(_set.Issue("n1"), "maximum-frame-size = 256000b").Transport.MaximumPayloadBytes);
    }

    /// <summary>A listening transport with <paramref name="certificate"/> whose inbound associations go to <see cref="Node.Inbound"/>.</summary>
    private async Task<Node> Listening(X509Certificate2 certificate, string section = "", X509Certificate2Collection? authority = null)
    {
        var node = Transport(certificate, section, authority);
        var (address, promise) = await node.Transport.Listen();
        promise.SetResult(node.Inbound);
        return node with { Address = address };
    }

    /// <summary>
    /// A transport as Akka creates it, in an actor system of its own, trusting <paramref name="authority"/> (default the
    /// set's CA); <paramref name="section"/> adds keys to <c>akka.remote.dot-netty.tcp</c>.
    /// </summary>
    private Node Transport(X509Certificate2 certificate, string section = "", X509Certificate2Collection? authority = null)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0, connection-timeout = 3s
              {{section}}
            }
            """);
        var trust = new ClusterTrust(authority ?? _set.Trust, certificate);
        var system = ActorSystem.Create("redis-ha", ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config)).And(new ClusterTrustSetup(trust)));
        lock (_systems) _systems.Add(system);
        var log = new ConcurrentQueue<string>();
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new LogLines(log))), typeof(LogEvent));
        return new Node(new ClusterTlsTransport(system, config.GetConfig("akka.remote.dot-netty.tcp")), trust, new Events(), log, null);
    }

    private static Task Closed(AssociationHandle handle) => ((TlsAssociationHandle)handle).Closed;

    /// <summary>Whether the other side closes or resets <paramref name="socket"/> within <paramref name="within"/> (it sends nothing).</summary>
    private static async Task<bool> ClosedByPeer(Socket socket, TimeSpan within)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(within) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Polls <paramref name="value"/> (every 50 ms, for up to 5 s) until it is not null.</summary>
    private static async Task<T> Eventually<T>(Func<T?> value, string what)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (value() is { } v) return v;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"not within 5 s: {what}");
    }

    /// <summary>
    /// What Akka would be told: a connection's events, or a transport's inbound associations. With
    /// <paramref name="throwOnPayload"/> it throws on every frame (a listener with a bug).
    /// </summary>
    private sealed class Events(bool throwOnPayload = false) : IHandleEventListener, IAssociationEventListener
    {
        private readonly ConcurrentQueue<object> _seen = new();

        public void Notify(IHandleEvent ev)
        {
            _seen.Enqueue(ev);
            if (throwOnPayload && ev is InboundPayload) throw new InvalidOperationException("a listener with a bug");
        }

        public void Notify(IAssociationEvent ev) => _seen.Enqueue(ev);

        public int Count<T>() => _seen.OfType<T>().Count();

        public T? First<T>() => _seen.OfType<T>().FirstOrDefault();

        public T? Last<T>() => _seen.OfType<T>().LastOrDefault();
    }

    /// <summary>
    /// A certificate (with its key) issued by an intermediate CA that is not sent with it but named at
    /// <paramref name="issuerUrl"/>, as a chain builder that downloads would fetch it.
    /// </summary>
    private static X509Certificate2 CertificateNamingItsIssuerAt(string issuerUrl)
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=attacker root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuerRequest = new CertificateRequest("CN=attacker intermediate", issuerKey, HashAlgorithmName.SHA256);
        issuerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var issuer = issuerRequest.Create(root, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3]).CopyWithPrivateKey(issuerKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=attacker", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [issuerUrl]));
        using var issued = request.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [4, 5, 6]);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Counts the connections made to it on 127.0.0.1 and never answers; Dispose closes them all.</summary>
    private sealed class SilentHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentQueue<Socket> _held = new();
        private readonly Task _loop;

        public SilentHttpServer()
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                try
                {
                    while (true) _held.Enqueue(await _listener.AcceptSocketAsync().ConfigureAwait(false));
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Stopped.
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => _held.Count;

        public void Dispose()
        {
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(5));
            foreach (var socket in _held) socket.Dispose();
        }
    }

    /// <summary>A transport under test; <see cref="Address"/> once it listens; <see cref="Log"/> its actor system's log lines.</summary>
    private sealed record Node(ClusterTlsTransport Transport, ClusterTrust Trust, Events Inbound, ConcurrentQueue<string> Log, Address? Address)
    {
        public int Lines(string containing) => Log.Count(l => l.Contains(containing, StringComparison.Ordinal));
    }

    private sealed class LogLines : ReceiveActor
    {
        public LogLines(ConcurrentQueue<string> lines) => Receive<LogEvent>(e => lines.Enqueue($"{e.LogLevel()} {e.Message}"));
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
