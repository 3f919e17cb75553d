using Akka.Actor;
using RedisHaActors.Cluster;
using Xunit;

namespace RedisHaActors.Tests.Cluster;

/// <summary>The guard's pure decisions: quorum from membership and reachability, and who forms a cluster.</summary>
public sealed class QuorumPolicyTests
{
    private static Address A(int i) => new("akka.tcp", "redis-ha", $"192.0.2.{i}", 4053);

    private static readonly Address[] Three = [A(1), A(2), A(3)];
    private static readonly Address[] Two = [A(1), A(2)];

    private static MemberView Up(int i, bool reachable = true) => new(A(i), true, reachable);

    [Fact]
    public void All_voters_up_and_reachable_is_quorum()
    {
        var v = QuorumPolicy.Decide(Three, true, true, [Up(1), Up(2), Up(3)]);
        Assert.True(v.HasQuorum);
        Assert.Equal(3, v.ReachableVoters);
        Assert.Equal("sees 3 of 3 voters", v.Cause);
    }

    [Fact]
    public void A_majority_is_enough_and_the_cause_names_the_missing_voter()
    {
        var v = QuorumPolicy.Decide(Three, true, true, [Up(1), Up(2), Up(3, reachable: false)]);
        Assert.True(v.HasQuorum);
        Assert.Equal("sees 2 of 3 voters: 192.0.2.3:4053 unreachable", v.Cause);
    }

    [Fact]
    public void An_isolated_node_sees_only_itself_and_has_no_quorum()
    {
        var v = QuorumPolicy.Decide(Three, true, true, [Up(1), Up(2, false), Up(3, false)]);
        Assert.False(v.HasQuorum);
        Assert.Equal(1, v.ReachableVoters);
        Assert.StartsWith("no quorum: sees 1 of 3 voters, needs 2", v.Cause);
    }

    [Fact]
    public void Leaving_down_or_absent_voters_do_not_count()
    {
        var v = QuorumPolicy.Decide(Three, true, true, [Up(1), new MemberView(A(2), false, true)]);
        Assert.False(v.HasQuorum);
        Assert.Contains("192.0.2.2:4053 leaving or down", v.Cause);
        Assert.Contains("192.0.2.3:4053 not a member", v.Cause);
    }

    [Fact]
    public void A_node_that_has_not_joined_has_no_quorum_whatever_it_sees()
    {
        var v = QuorumPolicy.Decide(Three, true, false, [Up(1), Up(2), Up(3)]);
        Assert.False(v.HasQuorum);
        Assert.Equal("not yet a cluster member", v.Cause);
    }

    [Fact]
    public void Non_voters_never_count()
    {
        var v = QuorumPolicy.Decide(Three, true, true, [Up(1), Up(7), Up(8), Up(9)]);
        Assert.False(v.HasQuorum);
        Assert.Equal(1, v.ReachableVoters);
    }

    [Fact]
    public void Two_voters_in_availability_mode_keep_quorum_alone_and_say_so()
    {
        var v = QuorumPolicy.Decide(Two, quorumRequired: false, joined: true, [Up(1), Up(2, false)]);
        Assert.True(v.HasQuorum);
        Assert.StartsWith("two voters, availability mode: sees 1 of 2", v.Cause);
        Assert.True(QuorumPolicy.Decide(Two, false, false, []).HasQuorum);
    }

    [Fact]
    public void Two_voters_in_quorum_mode_need_both()
    {
        Assert.False(QuorumPolicy.Decide(Two, true, true, [Up(1), Up(2, false)]).HasQuorum);
        Assert.True(QuorumPolicy.Decide(Two, true, true, [Up(1), Up(2)]).HasQuorum);
    }

    // ---- formation ----

    [Fact]
    public void The_lowest_live_voter_of_a_majority_forms_and_the_others_wait_for_it()
    {
        Assert.True(ClusterFormation.Decide(Three, A(1), [A(1), A(2), A(3)]).Form);
        var n2 = ClusterFormation.Decide(Three, A(2), [A(1), A(2), A(3)]);
        Assert.False(n2.Form);
        Assert.Contains("waiting for 192.0.2.1:4053", n2.Reason);
    }

    [Fact]
    public void With_the_first_seed_dead_the_next_lowest_of_the_majority_forms()
    {
        Assert.True(ClusterFormation.Decide(Three, A(2), [A(2), A(3)]).Form);
        Assert.False(ClusterFormation.Decide(Three, A(3), [A(2), A(3)]).Form);
    }

    [Fact]
    public void A_minority_never_forms_so_it_cannot_become_an_island()
    {
        var d = ClusterFormation.Decide(Three, A(1), [A(1)]);
        Assert.False(d.Form);
        Assert.Equal("sees 1 of 3 voters alive, a new cluster needs 2", d.Reason);
        Assert.False(ClusterFormation.Decide(Two, A(1), [A(1)]).Form);
    }

    [Fact]
    public void A_non_voter_only_joins()
    {
        Assert.False(ClusterFormation.Decide(Three, A(9), [A(1), A(2), A(3), A(9)]).Form);
    }

    [Fact]
    public void Addresses_order_numerically_not_as_text()
    {
        var ten = new Address("akka.tcp", "redis-ha", "192.0.2.10", 4053);
        var voters = new[] { ten, A(9), A(11) };
        Assert.True(ClusterFormation.Decide(voters, A(9), voters).Form);
    }
}
