using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RedisHaActors.Configuration;

/// <summary>
/// The <c>redis-ha.cluster.tls</c> section: mutual TLS on the cluster transport (Akka.Remote's DotNetty TLS).
/// Every node presents its own certificate and accepts a peer only if the peer's certificate was issued by
/// the set's CA (<see cref="Primitives.CertificateIssuer"/>); the peer's name or address is not checked (per-node
/// certificates, addresses in the seed list). With TLS on, cluster addresses read <c>akka.ssl.tcp://</c>.
/// </summary>
/// <param name="Enabled">TLS on the cluster port; off = plain TCP (warned at start when the guard is on).</param>
/// <param name="CaFile">Absolute path of the PEM certificate(s) of the set's CA: the only issuers trusted.</param>
/// <param name="CertFile">Absolute path of this node's PEM certificate, issued by that CA.</param>
/// <param name="KeyFile">Absolute path of its PEM private key (owner and the service's group only; warned otherwise).</param>
public sealed record ClusterTlsSettings(bool Enabled, string CaFile, string CertFile, string KeyFile)
{
    /// <summary>Plain TCP.</summary>
    public static ClusterTlsSettings Off { get; } = new(false, "", "", "");

    /// <summary>Akka's transport scheme with TLS on (<c>akka.ssl.tcp://redis-ha@host:port</c>).</summary>
    public const string TlsProtocol = "akka.ssl.tcp";

    /// <summary>Akka's transport scheme without TLS.</summary>
    public const string PlainProtocol = "akka.tcp";

    /// <summary>The scheme of every cluster address in effect.</summary>
    public string Protocol => Enabled ? TlsProtocol : PlainProtocol;

    internal static ClusterTlsSettings Create(SettingsReader r, bool guardOn, List<string> warnings)
    {
        if (!r.Bool("enabled"))
        {
            if (guardOn)
                warnings.Add($"{r.Path}.enabled = off: the cluster port is plain TCP, so any host that reaches it can join the set, " +
                             "gossip a state and remove a node; set up the set's CA and certificates (README, \"Cluster TLS\")");
            return Off;
        }
        var settings = new ClusterTlsSettings(true, File(r, "ca-file"), File(r, "cert-file"), File(r, "key-file"));
        X509Certificate2Collection authority;
        try
        {
            authority = settings.LoadAuthority();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw r.Error("ca-file", settings.CaFile, $"a readable PEM file of CA certificates ({FirstLine(e.Message)})");
        }
        X509Certificate2 own;
        try
        {
            own = settings.LoadCertificate();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw r.Error("cert-file", settings.CertFile, $"a readable PEM certificate whose private key is key-file ({FirstLine(e.Message)})");
        }
        using (own)
        {
            // A node whose own certificate its peers would refuse never joins: say so here, not as handshake failures.
            if (Primitives.CertificateIssuer.Refusal(own, authority, DateTime.UtcNow) is { } refusal)
                throw r.Error("cert-file", settings.CertFile, $"a certificate issued by the CA of ca-file ({refusal})");
        }
        foreach (var c in authority) c.Dispose();
        if (SecretFile.ReadableByOthers(settings.KeyFile) is { } mode)
            warnings.Add($"{r.Path}.key-file = {settings.KeyFile} is readable by others (mode {mode}): chmod o-r it (owner and the service's group only)");
        return settings;
    }

    /// <summary>The set's CA certificates (every CERTIFICATE block of <see cref="CaFile"/>).</summary>
    /// <exception cref="CryptographicException">No certificate in the file, or one that does not parse.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public X509Certificate2Collection LoadAuthority()
    {
        var authority = new X509Certificate2Collection();
        authority.ImportFromPemFile(CaFile);
        if (authority.Count == 0) throw new CryptographicException("no CERTIFICATE block in the file");
        return authority;
    }

    /// <summary>This node's certificate with its private key.</summary>
    /// <exception cref="CryptographicException">The certificate or key does not parse, or they do not match.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public X509Certificate2 LoadCertificate() => X509Certificate2.CreateFromPemFile(CertFile, KeyFile);

    private static string File(SettingsReader r, string name)
    {
        var path = r.String(name).Trim();
        if (path.Length == 0) throw r.Error(name, path, "an absolute path to a PEM file (tls is enabled)");
        if (!Path.IsPathRooted(path)) throw r.Error(name, path, "an absolute path to a PEM file");
        if (!System.IO.File.Exists(path)) throw r.Error(name, path, "a readable PEM file (not found)");
        return path;
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim().TrimEnd('.');
}
