namespace RedisHaActors.Cluster;

/// <summary>
/// What this node may do, as the cluster guard sees it now. Immutable.
/// </summary>
/// <param name="HasQuorum">This node may hold (or take) the VIP: it sees a majority of the voters,
/// or the set has two voters in availability mode.</param>
/// <param name="ReachableVoters">Voters that are cluster members, Up (or joining/weakly up) and not unreachable, this node included.</param>
/// <param name="Voters">Number of configured voters.</param>
/// <param name="Cause">Why, for the transition log ("sees 1 of 3 voters: 192.0.2.2:4053 unreachable").</param>
public sealed record QuorumView(bool HasQuorum, int ReachableVoters, int Voters, string Cause)
{
    /// <summary>The view before the node has joined the cluster.</summary>
    public static QuorumView NotJoined(int voters, bool quorumRequired) => quorumRequired
        ? new QuorumView(false, 0, voters, "not yet a cluster member")
        : new QuorumView(true, 0, voters, $"{Configuration.ClusterGuardSettings.AvailabilityModeName}: not yet a cluster member");

    /// <summary>The view when the guard is off (no seed nodes): VRRP alone decides.</summary>
    public static QuorumView GuardOff { get; } = new(true, 0, 0, "cluster guard off");
}
