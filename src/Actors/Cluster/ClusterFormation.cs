using System.Net;
using Akka.Actor;
using RedisHaActors.Primitives;

namespace RedisHaActors.Cluster;

/// <summary>What a node that is not yet a member should do.</summary>
/// <param name="Form">True: join itself, forming a new cluster.</param>
/// <param name="Reason">Why, for the log.</param>
public sealed record FormationDecision(bool Form, string Reason);

/// <summary>
/// Who may form a new cluster. Pure. A node that finds no cluster to join (Akka's InitJoin to
/// every voter went unanswered) forms one only when it sees a majority of the voters alive and
/// it is the lowest-addressed of them. So nodes started together form one cluster, never
/// islands (two disjoint majorities cannot exist), any majority can form while the first seed
/// is dead, and a lone or minority node waits to join instead of forming a cluster of its own
/// that would never merge back.
/// </summary>
public static class ClusterFormation
{
    /// <summary>Decides.</summary>
    /// <param name="voters">Configured voters.</param>
    /// <param name="self">This node's address.</param>
    /// <param name="alive">Voters whose cluster port accepted a connection just now (self included when it is a voter).</param>
    public static FormationDecision Decide(IReadOnlyList<Address> voters, Address self, IReadOnlyCollection<Address> alive)
    {
        var majority = Configuration.ClusterGuardSettings.MajorityOf(voters.Count);
        var live = voters.Where(alive.Contains).OrderBy(a => a, AddressOrder.Instance).ToArray();
        if (!voters.Contains(self))
            return new FormationDecision(false, "not a voter: waiting to join an existing cluster");
        if (live.Length < majority)
            return new FormationDecision(false, $"sees {live.Length} of {voters.Count} voters alive, a new cluster needs {majority}");
        return live[0].Equals(self)
            ? new FormationDecision(true, $"no cluster found; lowest address of {live.Length} live voters: forming a new cluster")
            : new FormationDecision(false, $"no cluster found; waiting for {live[0].Host}:{live[0].Port} (lowest live voter) to form it");
    }

    /// <summary>Orders addresses by host (IPv4 numerically when both parse), then port.</summary>
    public sealed class AddressOrder : IComparer<Address>
    {
        /// <summary>The single instance.</summary>
        public static AddressOrder Instance { get; } = new();

        /// <inheritdoc />
        public int Compare(Address? x, Address? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            int byHost;
            if (IPAddress.TryParse(x.Host, out var a) && IPAddress.TryParse(y.Host, out var b))
                byHost = Ipv4Order.Compare(a, b);
            else
                byHost = string.CompareOrdinal(x.Host, y.Host);
            return byHost != 0 ? byHost : (x.Port ?? 0).CompareTo(y.Port ?? 0);
        }
    }
}
