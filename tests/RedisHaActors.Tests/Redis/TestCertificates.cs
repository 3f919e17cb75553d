using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RedisHaActors.Tests.Redis;

/// <summary>
/// A throw-away CA with a server certificate for 127.0.0.1 and a client certificate, as PEM files
/// in a temp folder (ECDSA P-256, valid one day); the folder is removed on dispose.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Dir = Directory.CreateTempSubdirectory("redis-ha-tls-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=redis-ha test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        Issue(ca, "CN=127.0.0.1", ServerCertFile, ServerKeyFile, server: true);
        Issue(ca, "CN=redis-ha", ClientCertFile, ClientKeyFile, server: false);

        // A second CA that signed nothing here: trusting it alone must fail the handshake.
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherRequest = new CertificateRequest("CN=some other CA", otherKey, HashAlgorithmName.SHA256);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var other = otherRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(OtherCaFile, other.ExportCertificatePem());
    }

    public string Dir { get; }
    public string CaFile => Path.Combine(Dir, "ca.crt");
    public string OtherCaFile => Path.Combine(Dir, "other-ca.crt");
    public string ServerCertFile => Path.Combine(Dir, "server.crt");
    public string ServerKeyFile => Path.Combine(Dir, "server.key");
    public string ClientCertFile => Path.Combine(Dir, "client.crt");
    public string ClientKeyFile => Path.Combine(Dir, "client.key");

    /// <summary>redis-server arguments for TLS only on <paramref name="port"/>, client certificates required.</summary>
    public string[] RedisArgs(int port) =>
        ["--port", "0", "--tls-port", port.ToString(), "--tls-cert-file", ServerCertFile, "--tls-key-file", ServerKeyFile,
         "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "yes"];

    private static void Issue(X509Certificate2 ca, string subject, string certFile, string keyFile, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(23), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
