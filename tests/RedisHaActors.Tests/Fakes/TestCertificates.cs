using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RedisHaActors.Tests.Fakes;

/// <summary>
/// Small certificate authorities for tests, made in memory (ECDSA P-256): a CA and the node certificates it
/// issues, with their private keys; optionally written as PEM files (what <c>redis-ha.cluster.tls</c> reads).
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Creates a CA named <paramref name="name"/>, valid from an hour ago for a year.</summary>
    public TestCertificates(string name)
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The CA certificate (with its key).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The CA certificate alone, as a trust collection.</summary>
    public X509Certificate2Collection Trust => [X509CertificateLoader.LoadCertificate(Authority.RawData)];

    /// <summary>A node certificate named <paramref name="name"/> issued by this CA, with its private key.</summary>
    /// <param name="name">Its common name.</param>
    /// <param name="notAfter">End of validity; default a month from now.</param>
    public X509Certificate2 Issue(string name, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddMinutes(-10), notAfter ?? DateTimeOffset.UtcNow.AddMonths(1), serial);
        var withKey = issued.CopyWithPrivateKey(key);
        // An exportable copy: the ephemeral key of CopyWithPrivateKey is enough on Linux, but PEM export needs it.
        return withKey;
    }

    /// <summary>Writes <paramref name="certificate"/> and its key as PEM files in <paramref name="directory"/>; returns their paths.</summary>
    public static (string Cert, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        var cert = Path.Combine(directory, name + ".crt");
        var key = Path.Combine(directory, name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (cert, key);
    }

    /// <summary>Writes the CA certificate (no key) as a PEM file in <paramref name="directory"/>; returns its path.</summary>
    public string WriteAuthorityPem(string directory, string name = "ca")
    {
        var path = Path.Combine(directory, name + ".crt");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Authority.Dispose();
        _key.Dispose();
    }
}
