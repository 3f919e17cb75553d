using RedisHaActors.Cluster;
using Xunit;

namespace RedisHaActors.Tests.Cluster;

/// <summary>Which gossiped states speak for the members now (<see cref="GossipCurrency"/>).</summary>
public sealed class GossipCurrencyTests
{
    private const string Self = "akka.tcp://redis-ha@192.0.2.1:4053";
    private const string N2 = "akka.tcp://redis-ha@192.0.2.2:4053";
    private const string N3 = "akka.tcp://redis-ha@192.0.2.3:4053";

    private static PeerState State(string name, string address, long uid, PeerRole role = PeerRole.Data) =>
        new(name, role, address, "", "", 6379, PeerVrrpState.Backup, 100, 10, PeerRedisRole.Replica, 1, 5, uid, "id", "id2");

    private static GossipCurrency.Member Member(string address, long uid, bool usable = true, bool reachable = true) =>
        new(address, uid, usable, reachable);

    [Fact]
    public void A_reachable_member_whose_entry_a_previous_incarnation_wrote_is_pending()
    {
        var members = new[] { Member(Self, 1), Member(N2, 22), Member(N3, 33) };
        // n2 restarted (uid 22, its entry from uid 21); the witness n3 has published; our own entry does not count.
        var gossiped = new[] { State("n1", Self, 0), State("n2", N2, 21), State("n3", N3, 33, PeerRole.Witness) };
        Assert.Equal([N2], GossipCurrency.Pending(members, gossiped, Self));
        Assert.Empty(GossipCurrency.Pending(members, [State("n2", N2, 22), State("n3", N3, 33, PeerRole.Witness)], Self));
        // A version that does not record its uid: nothing to tell, its state counts.
        Assert.Empty(GossipCurrency.Pending(members, [State("n2", N2, 0), State("n3", N3, 0)], Self));
        // Once the map has arrived, a member with no entry at all is not waited for (a cold boot).
        Assert.Empty(GossipCurrency.Pending(members, [State("n3", N3, 33, PeerRole.Witness)], Self));
        // Unreachable or leaving members are the quorum's business, not waited for.
        Assert.Empty(GossipCurrency.Pending([Member(N2, 22, reachable: false), Member(N3, 33, usable: false)], gossiped, Self));
    }

    [Fact]
    public void Until_the_replicated_map_has_arrived_every_reachable_member_is_pending()
    {
        // Just rejoined: nothing from any current incarnation yet (only our own, or stale entries).
        var members = new[] { Member(Self, 1), Member(N2, 22), Member(N3, 33) };
        Assert.Equal([N2, N3], GossipCurrency.Pending(members, [], Self));
        Assert.Equal([N2, N3], GossipCurrency.Pending(members, [State("n1", Self, 1), State("n2", N2, 21)], Self));
        Assert.Empty(GossipCurrency.Pending([Member(Self, 1)], [], Self)); // alone: nobody to wait for
        // Not for longer than MapWait after joining (a cold boot: nothing to receive); a stale entry still waits.
        Assert.Empty(GossipCurrency.Pending(members, [], Self, mapWaitOver: true));
        Assert.Equal([N2], GossipCurrency.Pending(members, [State("n2", N2, 21)], Self, mapWaitOver: true));
    }

    [Fact]
    public void Data_states_nobody_speaks_for_now_are_remembered()
    {
        var members = new[] { Member(Self, 1), Member(N3, 33) };
        var gossiped = new[] { State("n1", Self, 9), State("n2", N2, 21), State("n3", N3, 30, PeerRole.Witness) };
        // n2 is not a member (downed, restarting): its last state is remembered; ours and a witness's never are.
        Assert.Equal(["n2"], GossipCurrency.Remembered(members, gossiped, Self).Select(p => p.Name));
        // Back as a new incarnation that has not published: still remembered; once it publishes, live.
        Assert.Equal(["n2"], GossipCurrency.Remembered([.. members, Member(N2, 22)], gossiped, Self).Select(p => p.Name));
        Assert.Empty(GossipCurrency.Remembered([.. members, Member(N2, 22)], [State("n2", N2, 22)], Self));
    }
}
