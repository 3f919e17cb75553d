using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;
using Akka.Remote.Transport;
using RedisHaActors.Primitives;

namespace RedisHaActors.Cluster;

/// <summary>
/// The cluster port's transport when cluster TLS is on (<see cref="ClusterConfig"/> names it as the
/// <c>transport-class</c> of <c>akka.remote.dot-netty.tcp</c>): TCP, mutual TLS checked by <see cref="ClusterTrust"/> in
/// both directions, and Akka's frames (<see cref="ClusterFrames"/>), the same bytes on the wire as Akka's DotNetty
/// transport with TLS, so addresses stay <c>akka.ssl.tcp://</c> and nodes of the previous version still talk to it.
/// <para>
/// Why not Akka's: its DotNetty transport (1.5.51 up to at least 1.5.75) stops the whole actor system
/// (CoordinatedShutdown, exit code 79) when an <em>outbound</em> TLS handshake fails, whoever is at fault. So a voter with
/// an expired or foreign certificate, an impostor at a voter's address, or anything there that closes or answers in
/// plain text, made every honest node that dialed it stop and give up its VIP. Here a failed handshake in either
/// direction is what a refused connection is: the association fails (Akka gates the address and retries it), the refusal
/// is counted and logged (<see cref="ClusterTrust"/>), and nothing else changes. The trust check itself is the same.
/// </para>
/// Certificates are checked offline (<see cref="ClusterTrust.ChainPolicy"/>), TLS 1.2 and 1.3 only (<see cref="Protocols"/>).
/// Inbound connections are handed to Akka only once their handshake succeeded; at most
/// <see cref="MaxPendingHandshakes"/> run at once and <see cref="MaxPendingHandshakesPerHost"/> from one host, each bounded by
/// <see cref="ClusterTransportSettings.InboundHandshakeTimeout"/>.
/// </summary>
public sealed class ClusterTlsTransport : Transport
{
    /// <summary>The transport's scheme; Akka prefixes <c>akka.</c> (<see cref="Configuration.ClusterTlsSettings.TlsProtocol"/>).</summary>
    public const string Scheme = "ssl.tcp";

    /// <summary>Inbound handshakes in progress at most; a connection beyond them is closed at once (<see cref="HandshakeSlots"/>).</summary>
    public const int MaxPendingHandshakes = 64;

    /// <summary>
    /// Inbound handshakes in progress at most from one source address: a set's node dials a peer once or twice at a time,
    /// so one host cannot hold every slot.
    /// </summary>
    public const int MaxPendingHandshakesPerHost = 8;

    /// <summary>
    /// TLS versions offered and accepted, both directions: 1.2 (what a node of the previous version on an older system may
    /// speak) and 1.3; never an older one, whatever the system's defaults allow.
    /// </summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The <c>transport-class</c> value that names this type.</summary>
    public static string TransportClass { get; } = $"{typeof(ClusterTlsTransport).FullName}, {typeof(ClusterTlsTransport).Assembly.GetName().Name}";

    private readonly ClusterTransportSettings _settings;
    private readonly ClusterTrust _trust;
    private readonly ILoggingAdapter _log;
    private readonly SslStreamCertificateContext _certificate;
    private readonly TaskCompletionSource<IAssociationEventListener> _listenerPromise = new();
    private readonly CancellationTokenSource _stopping = new();
    // By reference: Akka's handles are equal when their addresses are, and two connections to one peer can be open at once
    // (a new association while the previous one still flushes); each must be closed on shutdown.
    private readonly ConcurrentDictionary<TlsAssociationHandle, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly HandshakeSlots _slots = new(MaxPendingHandshakes, MaxPendingHandshakesPerHost);
    private readonly LogGate<string> _closedLines = new(ClusterTrust.LogEvery, ClusterTrust.MaxRemembered);
    private readonly LogGate<SocketError> _acceptErrors = new(ClusterTrust.LogEvery, capacity: 64);
    private Socket? _listener;
    private Address? _localAddress;

    /// <summary>Created by Akka.Remote for the section that names it (<c>akka.remote.dot-netty.tcp</c>).</summary>
    /// <param name="system">The actor system; its setup must carry <see cref="ClusterTrustSetup"/>.</param>
    /// <param name="config">The transport's section.</param>
    /// <exception cref="ConfigurationException">No <see cref="ClusterTrustSetup"/>, or a setting out of range.</exception>
    public ClusterTlsTransport(ActorSystem system, Config config)
    {
        System = system;
        Config = config;
        _settings = ClusterTransportSettings.From(config, system.Settings.Config);
        var trust = system.Settings.Setup.Get<ClusterTrustSetup>();
        _trust = trust.HasValue ? trust.Value.Trust : throw new ConfigurationException("the cluster TLS transport needs the node's certificates (ClusterTrustSetup)");
        _log = Logging.GetLogger(system, typeof(ClusterTlsTransport));
        _certificate = SslStreamCertificateContext.Create(_trust.Certificate, additionalCertificates: null, offline: true);
        SchemeIdentifier = Scheme;
        // What a peer accepts (ClusterFrames.Length): Akka drops a larger message at the sender, the connection stays.
        MaximumPayloadBytes = _settings.MaximumFrameSize - ClusterFrames.HeaderBytes;
    }

    /// <inheritdoc />
    public override bool IsResponsibleFor(Address remote) => true;

    /// <summary>Binds the cluster port; connections are accepted once Akka completes the returned listener promise.</summary>
    /// <exception cref="RemoteTransportException">The address cannot be bound.</exception>
    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var ip = _settings.Hostname.Length == 0 ? IPAddress.Any : await ResolveAsync(_settings.Hostname, _stopping.Token).ConfigureAwait(false);
        var endpoint = new IPEndPoint(ip, _settings.Port);
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted node binds again at once despite connections of its previous run in TIME_WAIT.
            if (!OperatingSystem.IsWindows()) listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endpoint);
            listener.Listen(_settings.Backlog);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new RemoteTransportException($"Failed to bind to [{endpoint}]: {e.Message}", e);
        }
        _listener = listener;
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        var host = _settings.PublicHostname.Length > 0 ? HostOf(_settings.PublicHostname) : HostOf(bound.Address);
        _localAddress = new Address(Scheme, System.Name, host, _settings.PublicPort ?? bound.Port);
        _ = _listenerPromise.Task.ContinueWith(t => Detach(AcceptLoop(listener, t.Result), "accepting cluster connections"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return (_localAddress, _listenerPromise);
    }

    /// <summary>
    /// Connects to <paramref name="remoteAddress"/> and runs the TLS handshake, both within one <c>connection-timeout</c>
    /// (Akka's own wait for the association is that long: a connection that took longer would reach nobody). Any failure
    /// (refused, timed out, the peer's certificate refused, ours refused, not TLS) is an
    /// <see cref="InvalidAssociationException"/>: Akka gates the address and retries it later; the actor system is never
    /// stopped for it.
    /// </summary>
    /// <exception cref="InvalidAssociationException">The connection or its handshake failed.</exception>
    /// <exception cref="InvalidOperationException">The transport is not listening.</exception>
    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        var local = _localAddress ?? throw new InvalidOperationException("the cluster transport is not listening");
        if (remoteAddress.Host is not { } host || remoteAddress.Port is not { } port)
            throw new InvalidAssociationException($"no host and port in {remoteAddress}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(_settings.ConnectionTimeout);
        Socket? socket = null;
        try
        {
            var ip = await ResolveAsync(host, deadline.Token).ConfigureAwait(false);
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            await socket.ConnectAsync(new IPEndPoint(ip, port), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            socket?.Dispose();
            if (e is not (SocketException or OperationCanceledException)) _log.Error(e, "cluster TLS: connecting to {0} failed unexpectedly", remoteAddress);
            throw new InvalidAssociationException(e is OperationCanceledException ? $"no connection to {remoteAddress} within {_settings.ConnectionTimeout.TotalSeconds} s" : $"{e.Message} {remoteAddress}");
        }
        var (tls, failure) = await HandshakeAsync(socket, remoteAddress.ToString(), targetHost: host, deadline.Token).ConfigureAwait(false);
        if (tls is null) throw new InvalidAssociationException($"TLS handshake with {remoteAddress} failed: {failure}");
        return Open(local, remoteAddress, tls, socket, outbound: true);
    }

    /// <summary>Stops accepting, closes every connection (queued frames get <c>flush-wait-on-shutdown</c>); true when all closed in time.</summary>
    public override async Task<bool> Shutdown()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        var open = _open.Keys.ToArray();
        foreach (var handle in open) handle.Disassociate("the cluster transport shuts down", _log);
        var closed = Task.WhenAll(open.Select(h => h.Closed));
        var inTime = await Task.WhenAny(closed, Task.Delay(_settings.FlushWait + TimeSpan.FromSeconds(1))).ConfigureAwait(false) == closed;
        foreach (var handle in open) handle.Abort();
        return inTime;
    }

    private async Task AcceptLoop(Socket listener, IAssociationEventListener associations)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stopping.IsCancellationRequested) return;
                // Out of descriptors or the like: say so (once a minute per error) and go on accepting, without spinning.
                if (_acceptErrors.Due(e.SocketErrorCode))
                    _log.Warning("cluster TLS: accepting a connection failed: {0}; logged once a minute per error", e.Message);
                await Task.Delay(100, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            // Known from the accept itself (no system call).
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            if (_slots.TryTake(remote.Address) is { } full)
            {
                _trust.HandshakeFailed(remote.ToString(), outbound: false, full, _log);
                socket.Dispose();
                continue;
            }
            Detach(AcceptOne(socket, remote, associations), "a cluster connection's handshake");
        }
    }

    private async Task AcceptOne(Socket socket, IPEndPoint remote, IAssociationEventListener associations)
    {
        try
        {
            try
            {
                socket.NoDelay = true;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            }
            catch (SocketException)
            {
                // Reset by the peer between accept and here.
                socket.Dispose();
                return;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            deadline.CancelAfter(_settings.InboundHandshakeTimeout);
            var (tls, _) = await HandshakeAsync(socket, remote.ToString(), targetHost: null, deadline.Token).ConfigureAwait(false);
            if (tls is null) return;
            var address = new Address(Scheme, System.Name, HostOf(remote.Address), remote.Port);
            associations.Notify(new InboundAssociation(Open(_localAddress!, address, tls, socket, outbound: false)));
        }
        finally
        {
            _slots.Release(remote.Address);
        }
    }

    /// <summary>
    /// The TLS handshake on a connected socket, as client when <paramref name="targetHost"/> is given (this node dialed),
    /// else as server; until <paramref name="deadline"/> (cancelled at the time limit, or by the transport's shutdown). The
    /// authenticated stream, or null and why not: a refused certificate is counted and logged by
    /// <see cref="ClusterTrust.Validate"/>, any other failure logged here (an unexpected exception as an error). The
    /// socket is closed on any failure.
    /// </summary>
    private async Task<(SslStream? Tls, string Failure)> HandshakeAsync(Socket socket, string peer, string? targetHost, CancellationToken deadline)
    {
        var refused = false;
        RemoteCertificateValidationCallback check = (_, certificate, chain, errors) => !(refused = Refuses(certificate, chain, peer, errors));
        SslStream tls;
        try
        {
            tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        }
        catch (IOException e)
        {
            // No longer connected (reset by the peer).
            socket.Dispose();
            return (null, e.Message);
        }
        try
        {
            if (targetHost is null) await tls.AuthenticateAsServerAsync(ServerOptions(check), deadline).ConfigureAwait(false);
            else await tls.AuthenticateAsClientAsync(ClientOptions(targetHost, check), deadline).ConfigureAwait(false);
            return (tls, "");
        }
        catch (Exception e) when (IsHandshakeFailure(e))
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            if (refused) return (null, "its certificate was refused");
            var why = Describe(e, deadline.IsCancellationRequested && !_stopping.IsCancellationRequested
                ? targetHost is null ? $"{_settings.InboundHandshakeTimeout.TotalSeconds} s" : $"connection-timeout ({_settings.ConnectionTimeout.TotalSeconds} s, with the connect)"
                : null);
            if (_stopping.IsCancellationRequested) return (null, why);
            // A peer that dialed and closed before finishing (the set's own nodes do so while the cluster forms, a port
            // scanner too) is not a failed handshake: nothing was refused. Anything else it sent is one.
            if (targetHost is null && ClosedByPeer(e)) _trust.HandshakeAbandoned(peer, _log);
            else _trust.HandshakeFailed(peer, outbound: targetHost is not null, why, _log);
            return (null, why);
        }
        catch (Exception e)
        {
            // A fault of this node (its certificate check threw, ...), not the peer's: the connection is dropped all the same.
            await tls.DisposeAsync().ConfigureAwait(false);
            _log.Error(e, "cluster TLS: handshake {0} {1} failed unexpectedly; the connection is dropped", targetHost is null ? "from" : "to", peer);
            return (null, $"failed unexpectedly: {e.Message}");
        }
    }

    /// <summary>The handshake as server (a peer dialed this node): its certificate required, checked by <paramref name="check"/>.</summary>
    internal SslServerAuthenticationOptions ServerOptions(RemoteCertificateValidationCallback check) => new()
    {
        ServerCertificateContext = _certificate,
        ClientCertificateRequired = true,
        EnabledSslProtocols = Protocols,
        CertificateChainPolicy = _trust.ChainPolicy(),
        RemoteCertificateValidationCallback = check,
    };

    /// <summary>The handshake as client (this node dialed <paramref name="targetHost"/>), the peer's certificate checked by <paramref name="check"/>.</summary>
    internal SslClientAuthenticationOptions ClientOptions(string targetHost, RemoteCertificateValidationCallback check) => new()
    {
        // Sent as SNI for a name; the peer's names are not checked (ClusterTrust: the CA alone decides).
        TargetHost = targetHost,
        ClientCertificateContext = _certificate,
        EnabledSslProtocols = Protocols,
        CertificateChainPolicy = _trust.ChainPolicy(),
        RemoteCertificateValidationCallback = check,
    };

    private TlsAssociationHandle Open(Address local, Address remote, SslStream tls, Socket socket, bool outbound)
    {
        var handle = new TlsAssociationHandle(local, remote, tls, socket, _settings, _log);
        _open[handle] = 0;
        _ = handle.Closed.ContinueWith(closed =>
        {
            _open.TryRemove(handle, out byte _);
            Report(handle, closed.Result, outbound);
        }, TaskScheduler.Default);
        handle.Start();
        if (_stopping.IsCancellationRequested) handle.Abort();
        return handle;
    }

    /// <summary>
    /// Says how a connection ended when the peer ended it (nothing when this node did: Akka, shutdown). A connection this
    /// node dialed that ends before the peer's first frame is a failed handshake: with TLS 1.3 the dialing side's handshake
    /// is over before the peer has checked its certificate, so a peer that refuses it closes just after. Otherwise a
    /// broken connection is logged, at most once a minute per peer host; one closed in order is not.
    /// </summary>
    private void Report(TlsAssociationHandle handle, TlsAssociationHandle.Ending ending, bool outbound)
    {
        if (ending.ClosedHere || _stopping.IsCancellationRequested) return;
        var peer = handle.RemoteAddress.ToString();
        if (outbound && !ending.PeerSpoke)
            _trust.HandshakeFailed(peer, outbound: true,
                $"the connection ended before the peer's first message ({ending.Failure ?? "closed by the peer"}); the peer may refuse this node's certificate", _log);
        else if (ending.Failure is { } failure && _closedLines.Due(handle.RemoteAddress.Host ?? peer))
            _log.Warning("cluster TLS: connection with {0} closed: {1}; logged once a minute per host", peer, failure);
    }

    /// <summary>True when <see cref="ClusterTrust.Validate"/> refuses the peer's certificate (it counts and logs that).</summary>
    private bool Refuses(X509Certificate? certificate, X509Chain? chain, string peer, SslPolicyErrors errors) =>
        !_trust.Validate(certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())),
            chain, peer, errors, _log);

    /// <summary>What a failed handshake throws: refused or broken by the peer, not TLS, closed, timed out, or cut by shutdown.</summary>
    /// <summary>The peer closed the connection during the handshake (SslStream's "unexpected EOF or 0 bytes"), no error of its own.</summary>
    private static bool ClosedByPeer(Exception e) =>
        e is IOException { InnerException: null } io && io.Message.Contains("EOF", StringComparison.Ordinal);

    private static bool IsHandshakeFailure(Exception e) =>
        e is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException;

    /// <summary>Why a handshake failed, in a line: <paramref name="timedOutAfter"/> (the limit, when it expired) or the exception's messages.</summary>
    private static string Describe(Exception e, string? timedOutAfter)
    {
        if (timedOutAfter is not null && e is OperationCanceledException) return $"no handshake within {timedOutAfter}";
        var messages = new List<string>();
        for (var x = e; x is not null && messages.Count < 3; x = x.InnerException)
            if (!messages.Contains(x.Message, StringComparer.Ordinal)) messages.Add(x.Message);
        return string.Join(": ", messages);
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    private static string HostOf(string hostname) => IPAddress.TryParse(hostname, out var ip) ? HostOf(ip) : hostname;

    private static string HostOf(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();

    private void Detach(Task task, string what) =>
        _ = task.ContinueWith(t => _log.Error(t.Exception!.GetBaseException(), "cluster TLS: {0} failed unexpectedly", what),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
