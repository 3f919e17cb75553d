using System.Globalization;
using Akka.Configuration;
using RedisHaActors.Configuration;

namespace RedisHaActors.Cluster;

/// <summary>
/// Builds the Akka configuration of a node with the guard on: the embedded <c>cluster.conf</c>
/// defaults, the node file's <c>akka</c> keys over them, and the computed keys over both
/// (cluster provider, this node's address; no automatic seed-node join, see <see cref="ClusterFormationActor"/>).
/// </summary>
public static class ClusterConfig
{
    /// <summary>The embedded Akka defaults for the cluster.</summary>
    public static Config Defaults { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(ClusterConfig).Assembly.GetManifestResourceStream("RedisHaActors.cluster.conf")
            ?? throw new InvalidOperationException("cluster.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>The Akka config for this node.</summary>
    /// <param name="settings">Validated cluster settings (guard enabled).</param>
    /// <param name="nodeFile">The merged node file (its <c>akka</c> section is used).</param>
    public static Config For(ClusterGuardSettings settings, Config nodeFile)
    {
        var computed = ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = {{Quote(settings.Hostname)}}
                port = {{settings.Port.ToString(CultureInfo.InvariantCulture)}}
              }
              # ClusterFormationActor joins: Akka's own seed-node process lets the first seed form a
              # cluster alone (an island after a partition) and nobody else form one while it is dead.
              cluster.seed-nodes = []
            }
            """);
        // TLS: our transport in Akka's section (its keys stay where they are; a failed handshake is a failed association,
        // where Akka's own TLS stops the node: ClusterTlsTransport); the certificate and the CA check come as setup
        // (ClusterTrust.Setups). Without TLS, Akka's DotNetty transport in plain TCP.
        computed = computed.WithFallback(ConfigurationFactory.ParseString(settings.Tls.Enabled
            ? $"akka.remote.dot-netty.tcp.transport-class = {Quote(ClusterTlsTransport.TransportClass)}"
            : "akka.remote.dot-netty.tcp.enable-ssl = off"));
        // Two voters in availability mode: every SBR strategy downs the survivor of a dead peer in
        // some case (keep-majority keeps the lower address, static-quorum 1 downs all at size 2),
        // releasing its VIP while it restarts. There the guard downs an unreachable peer itself
        // (after the same stable-after), as the mode promises.
        if (settings.Voters.Count == 2 && !settings.QuorumRequired)
            computed = computed.WithFallback(ConfigurationFactory.ParseString("akka.cluster.downing-provider-class = \"\""));
        // The node file's other sections (redis-ha) are inert for Akka.
        return computed.WithFallback(nodeFile).WithFallback(Defaults);
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
