using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RedisHaActors.Configuration;

/// <summary>
/// The <c>redis-ha.redis.tls</c> section: TLS from this coordinator to its own Redis and to its
/// peers' Redis (checks, role changes, hand-overs), through StackExchange.Redis. Replication
/// between the Redis servers themselves is Redis's own <c>tls-replication yes</c>.
/// </summary>
/// <param name="Enabled">Connect with TLS.</param>
/// <param name="CaFile">Absolute path of the PEM certificate of the CA that signed the servers' certificates
/// (one certificate: the first in the file is trusted); empty = the system trust store.</param>
/// <param name="CertFile">Absolute path of the PEM client certificate for <c>tls-auth-clients yes</c>; empty = none.</param>
/// <param name="KeyFile">Absolute path of the PEM private key of <paramref name="CertFile"/>.</param>
/// <param name="ServerName">Name the servers' certificates must carry (SNI); empty = the host connected to.</param>
/// <param name="Verify">Verify the server certificate; off accepts any (testing only, warned).</param>
public sealed record RedisTlsSettings(bool Enabled, string CaFile, string CertFile, string KeyFile, string ServerName, bool Verify)
{
    /// <summary>No TLS.</summary>
    public static RedisTlsSettings Off { get; } = new(false, "", "", "", "", true);

    internal static RedisTlsSettings Create(SettingsReader r, List<string> warnings)
    {
        var enabled = r.Bool("enabled");
        var ca = r.String("ca-file");
        var cert = r.String("cert-file");
        var key = r.String("key-file");
        var verify = r.Bool("verify");
        if (!enabled) return Off with { Verify = verify };
        // A missing or unreadable file fails here, at check-config, not at the first connection; an
        // absolute path means the same file whatever directory the service manager starts us in.
        foreach (var (name, path) in new[] { ("ca-file", ca), ("cert-file", cert), ("key-file", key) })
        {
            if (path.Length == 0) continue;
            if (!System.IO.Path.IsPathRooted(path)) throw r.Error(name, path, "an absolute path to a PEM file");
            if (!File.Exists(path)) throw r.Error(name, path, "a readable PEM file (not found)");
        }
        if (cert.Length > 0 != key.Length > 0)
            throw r.Error(cert.Length > 0 ? "key-file" : "cert-file", "", "cert-file and key-file go together (client certificate and its key)");
        try
        {
            // StackExchange.Redis trusts one issuer certificate: the first one in the file.
            if (ca.Length > 0) LoadFirstCertificate(ca).Dispose();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw r.Error("ca-file", ca, $"a readable PEM certificate ({e.Message.TrimEnd('.')})");
        }
        try
        {
            if (cert.Length > 0) X509Certificate2.CreateFromPemFile(cert, key).Dispose();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw r.Error("cert-file", cert, $"a readable PEM certificate whose key is key-file ({e.Message.TrimEnd('.')})");
        }
        if (!verify)
            warnings.Add($"{r.Path}.verify = off: any server certificate is accepted, so TLS does not authenticate the Redis servers");
        return new RedisTlsSettings(true, ca, cert, key, r.String("server-name"), verify);
    }

    private static X509Certificate2 LoadFirstCertificate(string path)
    {
        var text = File.ReadAllText(path);
        var pem = PemEncoding.Find(text); // ArgumentException when the file holds no PEM block
        if (text[pem.Label] is not "CERTIFICATE") throw new CryptographicException($"the first PEM block is {text[pem.Label]}, not CERTIFICATE");
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text[pem.Base64Data]));
    }
}
