using System.Security.Cryptography.X509Certificates;

namespace RedisHaActors.Primitives;

/// <summary>
/// Whether a certificate was issued by one of a fixed set of CA certificates, and nothing else: the system
/// trust store plays no part, names and addresses are not checked, revocation is not looked up (a set's own CA
/// has no revocation service; remove a node by replacing the CA). Pure apart from the chain build itself.
/// </summary>
public static class CertificateIssuer
{
    /// <summary>
    /// How a chain is built: <paramref name="authority"/> as the only roots, nothing fetched (neither revocation nor the
    /// issuers a certificate names by URL: a peer's certificate must not make this node dial out and wait), at the current
    /// time. A new policy each call (a chain owns and changes its policy).
    /// </summary>
    /// <param name="authority">The trusted CA certificates.</param>
    public static X509ChainPolicy Policy(X509Certificate2Collection authority)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(authority);
        return policy;
    }

    /// <summary>
    /// Null when <paramref name="certificate"/> chains to a certificate of <paramref name="authority"/> and is
    /// valid at <paramref name="utcNow"/>; otherwise why not, in a few words ("no certificate", "not issued by
    /// the set's CA: ...", "expired or not yet valid").
    /// </summary>
    /// <param name="certificate">The peer's certificate; null when it sent none.</param>
    /// <param name="authority">The trusted CA certificates (roots, or intermediates treated as anchors).</param>
    /// <param name="utcNow">The time the certificate must be valid at.</param>
    public static string? Refusal(X509Certificate2? certificate, X509Certificate2Collection authority, DateTime utcNow)
    {
        if (certificate is null) return "no certificate";
        using var chain = new X509Chain { ChainPolicy = Policy(authority) };
        chain.ChainPolicy.VerificationTime = utcNow;
        if (chain.Build(certificate)) return null;
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0 && (flags & X509ChainStatusFlags.UntrustedRoot) == 0
            && (flags & X509ChainStatusFlags.PartialChain) == 0)
            return $"expired or not yet valid (subject {certificate.Subject}, valid {certificate.NotBefore:u}..{certificate.NotAfter:u})";
        return $"not issued by the set's CA (subject {certificate.Subject}, issuer {certificate.Issuer}: {flags})";
    }
}
