using Akka.Actor;
using RedisHaActors.Configuration;

namespace RedisHaActors.Cluster;

/// <summary>A member as the guard sees it.</summary>
/// <param name="Address">Cluster address.</param>
/// <param name="Usable">Status Joining, WeaklyUp or Up: a live member (Leaving/Exiting/Down/Removed are not).</param>
/// <param name="Reachable">Not flagged unreachable by any observer's failure detector.</param>
public sealed record MemberView(Address Address, bool Usable, bool Reachable);

/// <summary>
/// Turns cluster membership and reachability into a <see cref="QuorumView"/>. Pure: the
/// <see cref="ClusterGuardActor"/> calls it on every membership or reachability event, so the
/// failure detector's unreachable verdict counts at once, not after the split-brain resolver's
/// stable-after. A voter counts when it is a usable member that no one reports unreachable; this
/// node counts itself only while others do not report it unreachable either, so in a
/// non-transitive partition both cut-off sides stand down until downing settles it.
/// </summary>
public static class QuorumPolicy
{
    /// <summary>Decides the quorum view.</summary>
    /// <param name="voters">Configured voters (seed nodes).</param>
    /// <param name="quorumRequired">False only for two voters in availability mode.</param>
    /// <param name="joined">This node is a member (Up or WeaklyUp) of the cluster.</param>
    /// <param name="members">Current members with their status and reachability.</param>
    public static QuorumView Decide(IReadOnlyList<Address> voters, bool quorumRequired, bool joined, IEnumerable<MemberView> members)
    {
        var byAddress = members.ToDictionary(m => m.Address);
        var reachable = 0;
        var missing = new List<string>();
        foreach (var voter in voters)
        {
            if (joined && byAddress.TryGetValue(voter, out var m) && m.Usable && m.Reachable)
                reachable++;
            else
                missing.Add($"{voter.Host}:{voter.Port} {(!byAddress.TryGetValue(voter, out var x) ? "not a member" : !x.Usable ? "leaving or down" : "unreachable")}");
        }
        var majority = ClusterGuardSettings.MajorityOf(voters.Count);
        var sees = $"sees {reachable} of {voters.Count} voters";
        var detail = missing.Count == 0 ? "" : ": " + string.Join(", ", missing);
        if (!joined)
            return QuorumView.NotJoined(voters.Count, quorumRequired);
        if (reachable >= majority)
            return new QuorumView(true, reachable, voters.Count, sees + detail);
        if (!quorumRequired)
            return new QuorumView(true, reachable, voters.Count, $"{ClusterGuardSettings.AvailabilityModeName}: {sees}{detail}");
        return new QuorumView(false, reachable, voters.Count, $"no quorum: {sees}, needs {majority}{detail}");
    }
}
