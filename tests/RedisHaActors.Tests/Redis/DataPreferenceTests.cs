using RedisHaActors.Cluster;
using RedisHaActors.Vrrp;
using RedisHaActors.Redis;
using Xunit;

namespace RedisHaActors.Tests.Redis;

/// <summary>An empty Redis is never promoted over a full one; the keyspace comes from INFO.</summary>
public sealed class DataPreferenceTests
{
    private static ReplicationFacts Master(long keys) => new(RedisRole.Master, null, null, false, 100, 0, "r", 0, "no-failover", keys);

    private static ReplicationFacts Replica(long keys, bool linkUp) => new(RedisRole.Replica, "192.0.2.9", 6379, linkUp, 100, 100, "r", 0, "no-failover", keys);

    // As the node maps the gossip (GossipMapping): a witness is no data peer at all.
    private static DataPeer[] Peer(long keys, bool reachable = true, string redisRole = "replica", string role = "data") =>
        role == "witness" ? [] : [new DataPeer("n2", "192.0.2.2", 6379, reachable, redisRole == "down" ? RedisRole.Unknown : RedisRole.Replica, keys, 500)];

    [Fact]
    public void A_replica_in_a_full_sync_or_with_replica_priority_0_is_never_eligible_guard_or_not()
    {
        var syncing = Replica(0, linkUp: false) with { SyncInProgress = true };
        Assert.Contains("full sync from 192.0.2.9:6379", DataPreference.Defer(syncing, []));
        Assert.Null(DataPreference.Defer(syncing with { SyncInProgress = false }, []));
        Assert.Contains("replica-priority 0", DataPreference.Defer(Replica(5, linkUp: true) with { ReplicaPriority = 0 }, []));
        Assert.Null(DataPreference.Defer(Replica(5, linkUp: true) with { ReplicaPriority = 100 }, []));
        // Fenced read-only by its coordinator (a replica of nowhere): not a sync from a master.
        Assert.Null(DataPreference.Defer(syncing with { MasterHost = LocalFence.Host, MasterPort = LocalFence.Port, Keys = 5 }, []));
    }

    [Fact]
    public void A_replica_that_never_completed_a_sync_since_its_Redis_started_is_never_eligible_guard_or_not()
    {
        // The master died during the replica's first full sync: the link is down, master_sync_in_progress went back to 0.
        var never = Replica(3, linkUp: false) with { NeverSynced = true };
        Assert.Contains("has not completed a sync with 192.0.2.9:6379 since it started (master_link_down_since_seconds:-1)", DataPreference.Defer(never, []));
        Assert.Null(DataPreference.Defer(never with { NeverSynced = false }, []));        // synced once, then lost the link
        // Our own fence (a replica of nowhere, a fenced master keeps its data) is no sync.
        Assert.Null(DataPreference.Defer(never with { MasterHost = LocalFence.Host, MasterPort = LocalFence.Port }, []));
    }

    [Fact]
    public void The_refusals_an_operator_may_force_name_the_command_and_a_forced_defer_skips_only_those()
    {
        var never = Replica(0, linkUp: false) with { NeverSynced = true };
        // The way out is named: a switchover needs a live master, so it is none once the master is gone.
        Assert.Contains("redis-ha promote --accept-loss on this node forces it", DataPreference.Defer(never, []));
        Assert.DoesNotContain("switchover", DataPreference.Defer(never, []));
        var behind = Replica(5, linkUp: false) with { MasterReplOffset = 0, ReplicaReplOffset = 0 };
        Assert.Contains("redis-ha promote --accept-loss on this node forces it", LossBound.Refusal(0, 100, behind));
        Assert.DoesNotContain("switchover", LossBound.Refusal(0, 100, behind));

        Assert.Null(DataPreference.Defer(never, [], forced: true));
        Assert.Equal([DataPreference.Defer(never, [])!], DataPreference.Forcible(never, []));
        Assert.Equal(2, DataPreference.Forcible(never with { SyncInProgress = true }, []).Count);
        // replica-priority 0 and a reachable fuller peer hold even then.
        Assert.Contains("replica-priority 0", DataPreference.Defer(never with { ReplicaPriority = 0 }, [], forced: true));
        Assert.Contains("not even by redis-ha promote", DataPreference.Defer(never with { ReplicaPriority = 0 }, []));
        Assert.Equal("own Redis is empty and n2's Redis has 7 keys", DataPreference.Defer(never, Peer(7), forced: true));
        Assert.Empty(DataPreference.Forcible(Replica(5, linkUp: true), Peer(7)));
    }

    [Theory]
    [InlineData(null, 1000L, 0L, false)]       // off: never refused
    [InlineData(4096L, 5000L, 1000L, false)]   // 4000 bytes behind, bound 4096
    [InlineData(4096L, 5200L, 1000L, true)]    // 4200 bytes behind
    [InlineData(0L, 1000L, 1000L, false)]      // caught up: nothing lost
    [InlineData(0L, null, 1000L, false)]       // no master seen: no estimate
    public void Max_loss_refuses_an_automatic_promotion_above_the_estimate(long? maxLoss, long? masterOffset, long ownOffset, bool refused)
    {
        var own = Replica(5, linkUp: false) with { MasterReplOffset = ownOffset, ReplicaReplOffset = ownOffset };
        var refusal = LossBound.Refusal(maxLoss, masterOffset, own);
        Assert.Equal(refused, refusal is not null);
        if (refused) Assert.Contains($"estimated loss {masterOffset - ownOffset} bytes is above max-loss {maxLoss} bytes", refusal);
        Assert.Null(LossBound.Refusal(maxLoss, masterOffset, Master(5) with { MasterReplOffset = ownOffset })); // a master: nothing to bound
    }

    [Fact]
    public void A_master_defers_to_a_reachable_master_promoted_from_its_history()
    {
        // n2 was promoted from our history (a cut healed, both restarted): its replid2 is our replid.
        var own = Master(50) with { ReplicationId = "old" };
        DataPeer Forked(bool reachable = true, RedisRole role = RedisRole.Master, string id2 = "old") =>
            new("n2", "192.0.2.2", 6379, reachable, role, 60, 900, "new", id2);
        Assert.Contains("n2's Redis was promoted from this one's history", DataPreference.Defer(own, [Forked()]));
        // The same while ours is fenced read-only (a replica of nowhere): the replid stays.
        Assert.NotNull(DataPreference.Defer(own with { Role = RedisRole.Replica, MasterHost = "127.0.0.1", MasterPort = 1 }, [Forked()]));
        Assert.Null(DataPreference.Defer(own, [Forked(reachable: false)], master: true)); // unreachable: a master is the guard's business
        Assert.Contains("it is not reachable now", DataPreference.Defer(own, [Forked(reachable: false)])); // a backup is not elected over it
        // Fenced read-only after a restart (a replica of nowhere): still the newer history.
        Assert.NotNull(DataPreference.Defer(own, [Forked(role: RedisRole.Replica)]));
        Assert.Null(DataPreference.Defer(own, [Forked(role: RedisRole.Unknown)]));     // its Redis does not answer
        // Our own linked replica carries our replid, never as its replid2.
        Assert.Null(DataPreference.Defer(own, [new DataPeer("n2", "192.0.2.2", 6379, true, RedisRole.Replica, 50, 900, "old", "older")]));
        Assert.Null(DataPreference.Defer(own, [Forked(id2: "other")]));                 // another history
        Assert.Null(DataPreference.Defer(own with { ReplicationId = "" }, [Forked(id2: "")])); // unknown (older peer)
        // The promoted one never defers to the one it forked from.
        var peerOld = new DataPeer("n1", "192.0.2.1", 6379, true, RedisRole.Master, 50, 800, "old", "");
        Assert.Null(DataPreference.Defer(Master(60) with { ReplicationId = "new", ReplicationId2 = "old" }, [peerOld]));
    }

    [Fact]
    public void A_master_just_promoted_does_not_take_its_new_replica_for_a_newer_history()
    {
        // A switchover: n2 took the VIP and promoted (new replid "new"); n1's Redis, re-pointed to n2, gossips replid
        // "new" with replid2 "old" before n2's own next check shows it a master. Its facts still say a replica of n1.
        var stale = Master(50) with { Role = RedisRole.Replica, MasterHost = "192.0.2.1", MasterPort = 6379, ReplicationId = "old" };
        var reattached = new DataPeer("n1", "192.0.2.1", 6379, true, RedisRole.Replica, 50, 900, "new", "old");
        Assert.Null(DataPreference.Defer(stale, [reattached], master: true));
        // Its next check: a master with the new replid, the peer its replica.
        Assert.Null(DataPreference.Defer(stale with { Role = RedisRole.Master, MasterHost = null, ReplicationId = "new", ReplicationId2 = "old" }, [reattached], master: true));
        // As a backup the same facts still defer (a peer promoted from our history), and a fenced master still yields.
        Assert.NotNull(DataPreference.Defer(stale, [reattached]));
        Assert.NotNull(DataPreference.Defer(stale with { MasterHost = LocalFence.Host, MasterPort = LocalFence.Port }, [reattached], master: true));
    }

    [Fact]
    public void A_backup_defers_to_the_remembered_state_of_a_restarting_peer_promoted_from_its_history_a_master_does_not()
    {
        // Both data nodes downed after a heal: n2's node is not back yet, but its last gossiped state (relayed by the
        // witness) says its Redis forked newer writes from ours. Winning the election first would make it our replica.
        var own = Master(50) with { Role = RedisRole.Replica, MasterHost = LocalFence.Host, MasterPort = LocalFence.Port, ReplicationId = "old" };
        var remembered = new[] { new DataPeer("n2", "192.0.2.2", 6379, false, RedisRole.Replica, 60, 900, "new", "old") };
        Assert.Contains("n2's Redis was promoted from this one's history (its last gossiped master_replid2", DataPreference.Defer(own, [], remembered));
        Assert.Null(DataPreference.Defer(own, [], remembered, master: true));          // nobody speaks for it: no yield
        Assert.Null(DataPreference.Defer(own, [], [remembered[0] with { ReplicationId2 = "other" }]));
        Assert.Null(DataPreference.Defer(own, [], [remembered[0] with { Role = RedisRole.Unknown }]));
        Assert.Null(DataPreference.Defer(own with { ReplicationId = "new" }, [], remembered)); // synced from it since
    }

    [Fact]
    public void Following_a_master_never_discards_writes_only_ours_holds()
    {
        var ours = Master(60) with { ReplicationId = "new", ReplicationId2 = "old", SecondReplOffset = 801, MasterReplOffset = 900 };
        // Its Redis is our past: we were promoted from it.
        Assert.Contains("ours was promoted from its history", DataPreference.Discards(ours, Master(50) with { ReplicationId = "old" }));
        // Both promoted from the same history (it was fenced, then promoted again): ours wrote past the fork.
        var sibling = Master(50) with { ReplicationId = "other", ReplicationId2 = "old" };
        Assert.Contains("ours has 100 bytes of writes past that fork", DataPreference.Discards(ours, sibling));
        Assert.Null(DataPreference.Discards(ours with { MasterReplOffset = 800 }, sibling)); // nothing written since the fork
        Assert.Null(DataPreference.Discards(ours, Master(50) with { ReplicationId = "new", ReplicationId2 = "old" })); // the same history
        Assert.Null(DataPreference.Discards(ours with { ReplicationId2 = "" }, Master(50) with { ReplicationId = "old" })); // never promoted
        Assert.Null(DataPreference.Discards(ours, Master(50) with { ReplicationId = "old", Role = RedisRole.Replica }));  // not a master
        Assert.Null(DataPreference.Discards(ours, null));
    }

    [Fact]
    public void Second_offset_and_a_never_completed_sync_come_from_INFO()
    {
        var never = ReplicationFacts.Parse("role:slave\r\nmaster_host:192.0.2.1\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:-1\r\nsecond_repl_offset:-1\r\n");
        Assert.True(never.NeverSynced);
        Assert.Equal(-1, never.SecondReplOffset);
        var lost = ReplicationFacts.Parse("role:slave\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:12\r\nsecond_repl_offset:801\r\n");
        Assert.False(lost.NeverSynced);
        Assert.Equal(801, lost.SecondReplOffset);
        Assert.False(ReplicationFacts.Parse("role:slave\r\nmaster_link_status:up\r\n").NeverSynced);
        Assert.False(ReplicationFacts.Parse("role:master\r\n").NeverSynced);
    }

    [Fact]
    public void An_empty_master_defers_to_a_reachable_peer_with_keys()
    {
        Assert.Equal("own Redis is empty and n2's Redis has 42 keys", DataPreference.Defer(Master(0), Peer(42)));
    }

    [Fact]
    public void A_master_with_an_online_replica_is_not_compared_with_it()
    {
        var withReplica = Master(0) with { Replicas = [new ReplicaLink("192.0.2.2", 6379, true, 100, 0)] };
        Assert.Null(DataPreference.Defer(withReplica, Peer(1)));
    }

    [Fact]
    public void An_empty_replica_fenced_without_a_link_defers_too_but_a_syncing_one_does_not()
    {
        Assert.NotNull(DataPreference.Defer(Replica(0, linkUp: false), Peer(42)));
        Assert.Null(DataPreference.Defer(Replica(0, linkUp: true), Peer(42)));
    }

    [Theory]
    [InlineData(5, 42, true, "replica", "data")]   // own Redis has data
    [InlineData(0, 0, true, "replica", "data")]    // both empty: a fresh set, someone must lead
    [InlineData(0, 42, false, "replica", "data")]  // the full peer is unreachable
    [InlineData(0, 42, true, "down", "data")]      // its Redis does not answer
    [InlineData(0, 42, true, "replica", "witness")]
    [InlineData(-1, 42, true, "replica", "data")]  // own key count unknown (Redis < 7)
    public void Otherwise_it_does_not_defer(long ownKeys, long peerKeys, bool reachable, string redisRole, string role)
    {
        Assert.Null(DataPreference.Defer(Master(ownKeys), Peer(peerKeys, reachable, redisRole, role)));
    }

    [Fact]
    public void A_local_Redis_that_does_not_answer_never_defers_here()
    {
        Assert.Null(DataPreference.Defer(null, Peer(42)));
    }

    [Fact]
    public void Keyspace_counts_sum_over_databases_and_are_unknown_without_the_section()
    {
        const string info = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:10\r\n\r\n# Keyspace\r\ndb0:keys=12,expires=1,avg_ttl=0\r\ndb3:keys=5,expires=0,avg_ttl=0\r\n";
        Assert.Equal(17, ReplicationFacts.Parse(info).Keys);
        Assert.Equal(0, ReplicationFacts.Parse("# Replication\r\nrole:master\r\n\r\n# Keyspace\r\n").Keys);
        Assert.Equal(-1, ReplicationFacts.Parse("# Replication\r\nrole:master\r\n").Keys);
    }
}

/// <summary>The role planner's side of the same rule.</summary>
public sealed class KeepDataPlanTests
{
    private static readonly System.Net.IPAddress Peer = System.Net.IPAddress.Parse("192.0.2.1");

    private static ReplicationFacts Master(long keys) => new(RedisRole.Master, null, null, false, 100, 0, "r", 0, "no-failover", keys);

    [Fact]
    public void A_guarded_Redis_with_keys_never_follows_an_empty_master()
    {
        var plan = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, Master(20), Master(0), protectData: true);
        Assert.Equal(new KeepData("not following 192.0.2.1:6379: its Redis is empty and ours has 20 keys"), plan);
    }

    [Fact]
    public void A_guarded_Redis_promoted_from_the_masters_history_never_follows_it()
    {
        // Two masters meeting after a heal: VRRP priority made us backup, but our Redis holds the newer writes.
        var ours = Master(60) with { ReplicationId = "new", ReplicationId2 = "old", SecondReplOffset = 801, MasterReplOffset = 900 };
        var plan = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, ours, Master(50) with { ReplicationId = "old" }, protectData: true);
        Assert.IsType<KeepData>(plan);
        Assert.Contains("ours was promoted from its history", ((KeepData)plan).Reason);
        Assert.Equal(new FollowMaster("192.0.2.1", 6379),
            PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, ours, Master(50) with { ReplicationId = "old" }, protectData: false));
    }

    [Theory]
    [InlineData(20, 5, true)]    // the master has data: follow it
    [InlineData(0, 0, true)]     // both empty
    [InlineData(-1, 0, true)]    // own keys unknown
    [InlineData(20, 0, false)]   // unguarded: as before
    public void Otherwise_it_follows(long ownKeys, long masterKeys, bool guarded)
    {
        var plan = PlanHelper.Plan(VrrpState.Backup, Peer, null, 6379, Master(ownKeys), Master(masterKeys), protectData: guarded);
        Assert.Equal(new FollowMaster("192.0.2.1", 6379), plan);
    }
}
