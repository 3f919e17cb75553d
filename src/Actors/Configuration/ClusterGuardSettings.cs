using System.Globalization;
using Akka.Actor;
using Akka.Configuration;

namespace RedisHaActors.Configuration;

/// <summary>How a set of exactly two voters (no witness) treats a peer it cannot see.</summary>
public enum TwoVoterMode
{
    /// <summary>keepalived-like: the survivor fails over when its peer is gone. A partition can then
    /// give two masters (warned at start).</summary>
    Availability,

    /// <summary>Both voters must see each other: a lone node never becomes (or stays) master.</summary>
    Quorum,
}

/// <summary>
/// The cluster guard's settings: Akka's own keys (<c>akka.cluster.seed-nodes</c>,
/// <c>akka.remote.dot-netty.tcp.hostname/port</c>) and <c>redis-ha.cluster</c>. The configured
/// seed nodes are the voters; <see cref="Cluster.ClusterFormationActor"/> joins them, so any
/// majority can form or re-form the cluster.
/// </summary>
/// <param name="Voters">The seed nodes' addresses (<c>akka.tcp://redis-ha@host:port</c>, <c>akka.ssl.tcp://</c> with TLS on:
/// the scheme follows <see cref="Tls"/> whichever of the two the seed list spells); empty = guard off.</param>
/// <param name="Hostname">This node's cluster address host (<c>akka.remote.dot-netty.tcp.hostname</c>).</param>
/// <param name="Port">This node's cluster port, 1..65535.</param>
/// <param name="TwoVoters">Behaviour with exactly two voters.</param>
/// <param name="Transport">TLS on the cluster port (<c>redis-ha.cluster.tls</c>); null = plain TCP.</param>
public sealed record ClusterGuardSettings(IReadOnlyList<Address> Voters, string Hostname, int Port, TwoVoterMode TwoVoters,
    ClusterTlsSettings? Transport = null)
{
    /// <summary>TLS settings in effect (<see cref="ClusterTlsSettings.Off"/> when none were given).</summary>
    public ClusterTlsSettings Tls => Transport ?? ClusterTlsSettings.Off;

    /// <summary>The Akka actor system name every node must use (it is part of the cluster address).</summary>
    public const string SystemName = "redis-ha";

    /// <summary>Whether the guard runs (seed nodes configured).</summary>
    public bool Enabled => Voters.Count > 0;

    /// <summary>This node's cluster address.</summary>
    public Address SelfAddress => new(Tls.Protocol, SystemName, Hostname, Port);

    /// <summary>Voters needed for a majority: more than half.</summary>
    public int Majority => MajorityOf(Voters.Count);

    /// <summary>More than half of <paramref name="voters"/>: the one home of the majority rule.</summary>
    public static int MajorityOf(int voters) => voters / 2 + 1;

    /// <summary>How logs and the quorum cause name two voters with <see cref="TwoVoterMode.Availability"/>.</summary>
    public const string AvailabilityModeName = "two voters, availability mode";

    /// <summary>True when a lone survivor of two voters may hold the VIP.</summary>
    public bool QuorumRequired => Voters.Count != 2 || TwoVoters == TwoVoterMode.Quorum;

    internal static ClusterGuardSettings Create(Config merged, SettingsReader own, List<string> warnings)
    {
        var mode = own.Enum<TwoVoterMode>("two-voter-mode");
        IReadOnlyList<string> seeds;
        try
        {
            seeds = merged.HasPath("akka.cluster.seed-nodes") ? merged.GetStringList("akka.cluster.seed-nodes").ToArray() : [];
        }
        catch (Exception)
        {
            throw new ConfigurationException("akka.cluster.seed-nodes", null, "a list of addresses like \"akka.tcp://redis-ha@192.0.2.1:4053\"");
        }
        // The scheme on the wire follows redis-ha.cluster.tls, so a set turns TLS on without rewriting its seed list.
        var tls = ClusterTlsSettings.Create(new SettingsReader(merged, $"{HaSettings.Root}.cluster.tls"), seeds.Count > 0, warnings);
        var voters = new List<Address>();
        foreach (var seed in seeds)
        {
            Address address;
            try
            {
                address = Address.Parse(seed);
            }
            catch (Exception)
            {
                throw new ConfigurationException("akka.cluster.seed-nodes", seed, "addresses like \"akka.tcp://redis-ha@192.0.2.1:4053\"");
            }
            if (address.System != SystemName || address.Host is null || address.Port is not > 0
                || address.Protocol is not (ClusterTlsSettings.PlainProtocol or ClusterTlsSettings.TlsProtocol))
                throw new ConfigurationException("akka.cluster.seed-nodes", seed, $"addresses like \"akka.tcp://{SystemName}@192.0.2.1:4053\" (system name {SystemName}, host and port)");
            address = address.WithProtocol(tls.Protocol);
            if (voters.Contains(address))
                throw new ConfigurationException("akka.cluster.seed-nodes", seed, "each address once");
            voters.Add(address);
        }
        var hostname = merged.GetString("akka.remote.dot-netty.tcp.hostname", "") ?? "";
        var port = ReadPort(merged, "akka.remote.dot-netty.tcp.port", 4053);
        if (voters.Count > 0 && hostname.Length == 0)
            throw new ConfigurationException("akka.remote.dot-netty.tcp.hostname", "", "this node's address on the cluster network (seed nodes are set)");
        var settings = new ClusterGuardSettings(voters, hostname, port, mode, tls);
        // No seed nodes: the summary says "cluster guard off" and the node logs a warning at start.
        if (voters.Count == 2 && mode == TwoVoterMode.Availability)
            warnings.Add("two voters and no witness (redis-ha.cluster.two-voter-mode = availability): a lone node takes over when it cannot see its peer, " +
                         "so a partition can give two masters; add a witness node or set two-voter-mode = quorum");
        else if (voters.Count > 2 && voters.Count % 2 == 0)
            warnings.Add($"{voters.Count} voters: an even split leaves no side with a majority; use an odd number (add a witness)");
        return settings;
    }

    private static int ReadPort(Config merged, string key, int fallback)
    {
        if (!merged.HasPath(key)) return fallback;
        var raw = merged.GetString(key);
        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            return port;
        throw new ConfigurationException(key, raw, "1..65535");
    }
}
