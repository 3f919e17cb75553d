using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor.Setup;
using Akka.Event;
using RedisHaActors.Configuration;
using RedisHaActors.Primitives;

namespace RedisHaActors.Cluster;

/// <summary>
/// Mutual TLS on the cluster transport (<see cref="ClusterTlsTransport"/>): this node's certificate, and the check of
/// every peer's certificate in both directions (the node connecting and the node accepting): issued by the set's
/// CA (<see cref="CertificateIssuer"/>), or the connection is refused before any Akka message (join, gossip,
/// leave, down) is read or sent. Refusals are counted (<see cref="Refused"/>) and logged, at most once a minute per
/// peer host. A peer that sends no certificate, or speaks plain TCP, fails the handshake (<see cref="HandshakeFailed"/>).
/// Thread-safe: the transport calls <see cref="Validate"/> from concurrent handshakes.
/// </summary>
public sealed class ClusterTrust
{
    /// <summary>Least time between two log lines about the same peer host.</summary>
    public static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    /// <summary>Peer hosts remembered for <see cref="LogEvery"/>; beyond them a new host's lines are not logged (still counted).</summary>
    internal const int MaxRemembered = 1024;

    private readonly X509Certificate2Collection _authority;
    private readonly LogGate<string> _logged = new(LogEvery, MaxRemembered);
    private long _refused;
    private long _handshakesFailed;

    /// <summary>Loads the CA and this node's certificate named by <paramref name="settings"/> (TLS on).</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A file does not parse (check-config says which).</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public ClusterTrust(ClusterTlsSettings settings)
        : this(settings.LoadAuthority(), settings.LoadCertificate())
    {
    }

    /// <summary>Uses <paramref name="authority"/> as the set's CA and <paramref name="certificate"/> (with its key) as this node's.</summary>
    public ClusterTrust(X509Certificate2Collection authority, X509Certificate2 certificate)
    {
        _authority = authority;
        Certificate = certificate;
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Peer certificates refused since start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Handshakes that failed since start for another reason than a refused certificate (<see cref="HandshakeFailed"/>):
    /// a peer without a certificate, speaking plain TCP, refusing ours, closing or timing out.</summary>
    public long HandshakesFailed => Interlocked.Read(ref _handshakesFailed);

    /// <summary>
    /// The transport's validation callback: true when <paramref name="certificate"/> was issued by the set's CA. The
    /// policy errors of the handshake's own check are ignored (that check compares the name with the address connected
    /// to, which does not apply to a set's per-node certificates); the chain is built again here, at the current time.
    /// </summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        var refusal = CertificateIssuer.Refusal(certificate, _authority, DateTime.UtcNow);
        if (refusal is null) return true;
        var count = Interlocked.Increment(ref _refused);
        if (_logged.Due(HostOf(remotePeer)))
            log.Warning("cluster TLS: refused {0}: {1}; counted as cluster refused tls ({2} so far), logged once a minute per host",
                remotePeer, refusal, count);
        return false;
    }

    /// <summary>
    /// The chain policy of the TLS handshake's own chain build (which runs before <see cref="Validate"/>): the set's CA as
    /// the only root and nothing fetched, so a peer's certificate naming an issuer or revocation URL never makes this node
    /// dial out and wait (<see cref="CertificateIssuer.Policy"/>).
    /// </summary>
    public X509ChainPolicy ChainPolicy() => CertificateIssuer.Policy(_authority);

    /// <summary>
    /// A handshake that failed for another reason than <see cref="Validate"/>'s refusal (the peer refused this node's
    /// certificate, spoke no TLS, closed or timed out): counted in <see cref="HandshakesFailed"/> and logged at most once a
    /// minute per peer host, not counted as a refused certificate. The connection is dropped and, when this node dialed, the address is retried later.
    /// </summary>
    /// <param name="remotePeer">The peer ("akka.ssl.tcp://redis-ha@192.0.2.9:4053" or "192.0.2.9:41234").</param>
    /// <param name="outbound">Whether this node dialed.</param>
    /// <param name="reason">Why, in a few words.</param>
    /// <param name="log">Where the line goes.</param>
    public void HandshakeFailed(string remotePeer, bool outbound, string reason, ILoggingAdapter log)
    {
        var count = Interlocked.Increment(ref _handshakesFailed);
        if (_logged.Due(HostOf(remotePeer)))
            log.Warning("cluster TLS: handshake {0} {1} failed: {2}; the connection is dropped, nothing else changes; " +
                        "counted as cluster handshakes failed ({3} so far), logged once a minute per host",
                outbound ? "to" : "from", remotePeer, reason, count);
    }

    /// <summary>
    /// A peer that dialed this node and closed the connection during the handshake, sending no error (the set's own nodes
    /// do so while the cluster forms): neither refused nor failed; logged at debug level only.
    /// </summary>
    /// <param name="remotePeer">The peer ("192.0.2.9:41234").</param>
    /// <param name="log">Where the line goes.</param>
    public void HandshakeAbandoned(string remotePeer, ILoggingAdapter log) =>
        log.Debug("cluster TLS: {0} closed the connection during the handshake", remotePeer);

    /// <summary>
    /// The setup that turns TLS on in the actor system: <see cref="ClusterTrustSetup"/>, which carries this trust to the
    /// cluster transport (<see cref="ClusterTlsTransport"/>, named by <see cref="ClusterConfig"/>) and to the guard's count.
    /// </summary>
    public IReadOnlyList<Setup> Setups() => [new ClusterTrustSetup(this)];

    /// <summary>"akka.ssl.tcp://redis-ha@192.0.2.9:4053" or "192.0.2.9:41234" -> "192.0.2.9".</summary>
    internal static string HostOf(string remotePeer)
    {
        var s = remotePeer;
        var at = s.LastIndexOf('@');
        if (at >= 0) s = s[(at + 1)..];
        var colon = s.LastIndexOf(':');
        return colon > 0 && !s.EndsWith(']') ? s[..colon] : s;
    }
}

/// <summary>Carries the node's <see cref="ClusterTrust"/> in the actor system's setup, for the guard's status.</summary>
/// <param name="trust">The node's trust.</param>
public sealed class ClusterTrustSetup(ClusterTrust trust) : Setup
{
    /// <summary>The node's trust.</summary>
    public ClusterTrust Trust { get; } = trust;
}
