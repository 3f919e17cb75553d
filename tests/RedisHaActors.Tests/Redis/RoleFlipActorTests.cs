using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Redis;
using RedisHaActors.Primitives;

using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Redis;

public sealed class RoleFlipActorTests : TestKit
{
    private static readonly IPAddress Old = IPAddress.Parse("192.0.2.1");

    private readonly FakeRedisFactory _redis = new();
    private readonly FakeRedisNode _local;

    public RoleFlipActorTests() => _local = _redis.Get("127.0.0.1");

    private readonly StopwatchClock _clock = new();

    private IActorRef Start(int syncTimeoutMs = 2000, bool guarded = false) =>
        Sys.ActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(syncTimeoutMs: syncTimeoutMs), _local, _redis, "192.0.2.2", _clock,
            guarded ? TimeSpan.FromMilliseconds(200) : null));

    private static RoleDirective Master(IPAddress? previous, string cause) => new(DesiredRole.Master, null, previous, cause);

    private static RoleDirective Following(IPAddress master) => new(DesiredRole.Replica, master, master, $"following master {master}");

    private void Observe(IActorRef flip) => flip.Tell(new LocalRedisObserved(new RedisProbe(true, _local.Facts, ""), true));

    [Fact]
    public void Backup_makes_the_local_Redis_a_replica_of_the_advertising_master_and_repoints_a_restarted_one()
    {
        var flip = Start();
        _local.Facts = FakeRedisNode.Master(0);
        flip.Tell(new RoleDirective(DesiredRole.Replica, null, null, "startup"));
        flip.Tell(Following(Old));
        Observe(flip);
        AwaitAssert(() => Assert.Equal(["REPLICAOF 192.0.2.1 6379"], _local.Commands));
        // Steady: nothing more while it is a replica of the master.
        Observe(flip);
        Observe(flip);
        // Redis restarted empty as a master: re-pointed on the next observation.
        _local.Facts = FakeRedisNode.Master(0);
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Equal(2, _local.Commands.Count(c => c == "REPLICAOF 192.0.2.1 6379"));
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_master_state_whose_VIP_lease_lapsed_during_a_stall_is_not_acted_on_until_VRRP_renews()
    {
        var flip = Start();
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 100);
        // The last renewal is 3 s old with a 2 s lease: the process was frozen in between.
        flip.Tell(new VipLeaseRenewed(new Lease(_clock.Now - TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2))));
        flip.Tell(Master(null, "stale"));
        Observe(flip);
        Observe(flip);
        Thread.Sleep(300);
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
        // VRRP renews (it really is master): the promotion goes ahead.
        flip.Tell(new VipLeaseRenewed(new Lease(_clock.Now, TimeSpan.FromSeconds(2))));
        Observe(flip);
        AwaitAssert(() => Assert.Contains("REPLICAOF NO ONE", _local.Commands), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_max_loss_refusal_holds_while_the_local_check_goes_unanswered()
    {
        // The replica is 9,600 bytes behind its master; max-loss is 1,000. Then its own Redis stalls: an unanswered check
        // tells nothing about its offset, so the refusal must not lift (a lab run promoted it, the VIP's master-down
        // timer having run out long before, within the check's fall window).
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(10_000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        IgnoreMessages(m => m is not LossBoundChanged);
        var flip = ChildActorOf(RoleFlipActor.Props(ActorTestSettings.Redis() with { MaxLoss = 1000 }, _local, _redis, "192.0.2.2", _clock, null));
        flip.Tell(Following(Old));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("estimated loss 9600 bytes is above max-loss 1000 bytes", ExpectMsg<LossBoundChanged>(TimeSpan.FromMilliseconds(200)).Refusal);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));

        for (var i = 0; i < 3; i++) flip.Tell(new LocalRedisObserved(new RedisProbe(false, null, "no answer within 200 ms"), true));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        // It answers again, still behind: nothing changed. Caught up: the refusal lifts.
        Observe(flip);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 10_000);
        Observe(flip);
        Assert.Null(ExpectMsg<LossBoundChanged>().Refusal);
    }

    [Fact]
    public void Promotion_waits_for_the_old_masters_offset_then_promotes_and_repoints_the_old_master()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start(syncTimeoutMs: 30_000); // far beyond the test, even on a loaded machine
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Empty(_local.Commands); // still catching up: 400 < 1000
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 1000);
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], _local.Commands), TimeSpan.FromSeconds(2));
        // Writes paused on the old master first, re-pointed before they are released (no write lost
        // on it), then its clients dropped so they reconnect through the VIP.
        AwaitAssert(() => Assert.Equal(["CLIENT PAUSE WRITE", "REPLICAOF 192.0.2.2 6379", "CLIENT UNPAUSE", "CLIENT KILL TYPE normal"], old.Commands));
    }

    [Fact]
    public void A_preemption_that_cannot_catch_up_releases_the_old_master_promotes_nothing_and_tells_the_node()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400); // never catches up
        var flip = ChildActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(syncTimeoutMs: 300), _local, _redis, "192.0.2.2", _clock, null));
        Observe(flip);
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Old, "preempt: priority 200 over master 192.0.2.1", PreviousMasterAlive: true));
        var yielded = ExpectMsg<PreemptionYielded>(TimeSpan.FromSeconds(5));
        Assert.Contains("own offset 400 still behind old master 192.0.2.1 offset 1000", yielded.Reason);
        Assert.Contains("estimated loss of 600 bytes", yielded.Reason);
        // Paused for the catch-up, then released; never re-pointed, and nothing promoted here.
        AwaitAssert(() => Assert.Equal(["CLIENT PAUSE WRITE", "CLIENT UNPAUSE"], old.Commands));
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
        // Not tried again at once (the node makes VRRP give the VIP back meanwhile).
        Observe(flip);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, old.Commands.Count(c => c == "CLIENT PAUSE WRITE"));
    }

    [Fact]
    public void A_preemption_of_a_master_whose_Redis_does_not_answer_is_given_back()
    {
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = ChildActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(syncTimeoutMs: 300), _local, _redis, "192.0.2.2", _clock, null));
        Observe(flip);
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Old, "preempt: priority 200 over master 192.0.2.1", PreviousMasterAlive: true));
        Assert.Contains("still advertises but its Redis did not answer", ExpectMsg<PreemptionYielded>(TimeSpan.FromSeconds(5)).Reason);
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
    }

    [Fact]
    public void A_takeover_after_a_silent_master_that_cannot_catch_up_still_promotes_and_reports_the_loss()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start(syncTimeoutMs: 300);
        Observe(flip);
        flip.Tell(Master(Old, "no advert")); // not a preemption: the old master's node is gone
        AwaitAssert(() => Assert.Contains("REPLICAOF NO ONE", _local.Commands), TimeSpan.FromSeconds(5));
        AwaitAssert(() => Assert.Contains("estimated loss 600 bytes",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void FAULT_fences_a_master_Redis_read_only_and_a_returning_master_is_followed_again()
    {
        _local.Facts = FakeRedisNode.Master(100);
        var flip = Start();
        Observe(flip);
        flip.Tell(new RoleDirective(DesiredRole.Fenced, null, null, "eth0 operstate down"));
        AwaitAssert(() => Assert.Equal(["REPLICAOF 127.0.0.1 1"], _local.Commands));
        Assert.Equal(100, _local.Facts.Offset); // fenced, data kept
        flip.Tell(new RoleDirective(DesiredRole.Replica, null, null, "eth0 up"));
        flip.Tell(Following(Old));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("REPLICAOF 192.0.2.1 6379", _local.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Promotion_is_immediate_when_the_old_master_does_not_answer()
    {
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start(syncTimeoutMs: 60_000);
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], _local.Commands), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Promotion_gives_up_waiting_after_sync_timeout_and_promotes()
    {
        _redis.Get("192.0.2.1").Facts = FakeRedisNode.Master(5000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 10);
        var flip = Start(syncTimeoutMs: 300);
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], _local.Commands), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void A_newer_backup_decision_cancels_an_in_flight_promotion()
    {
        _redis.Get("192.0.2.1").Facts = FakeRedisNode.Master(5000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 10);
        var flip = Start(syncTimeoutMs: 1000);
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        flip.Tell(new RoleDirective(DesiredRole.Replica, Old, Old, "higher priority 210 from 192.0.2.1"));
        Observe(flip);
        ExpectNoMsg(TimeSpan.FromMilliseconds(1500)); // past the old sync-timeout
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
    }

    [Fact]
    public void A_promotion_superseded_while_a_command_is_in_flight_sends_nothing_after_it()
    {
        // Guarded: the promotion first resets min-replicas, then REPLICAOF NO ONE. The old master is
        // gone, so it promotes at once; its first command is slow.
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        _local.Delays["MIN-REPLICAS"] = TimeSpan.FromMilliseconds(400);
        var flip = Start(guarded: true);
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        Thread.Sleep(100);
        // VRRP went back to BACKUP (a higher priority master appeared) while MIN-REPLICAS is in flight.
        flip.Tell(new RoleDirective(DesiredRole.Replica, Old, Old, "higher priority 210 from 192.0.2.1"));
        AwaitCondition(() => _local.Commands.Contains($"MIN-REPLICAS 0 {MasterFence.MinReplicasMaxLagSeconds}"), TimeSpan.FromSeconds(3));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
    }

    [Fact]
    public void Unguarded_a_promotion_lowers_the_operators_min_replicas_and_gives_it_back_once_a_replica_is_online()
    {
        // redis.conf says min-replicas-to-write 1, max-lag 10. The old master is dead: promoted at once.
        _local.MinReplicas = new(new OperatorMinReplicas(1, 10));
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start();
        Observe(flip);
        // Read once at the start-up permission check.
        AwaitCondition(() => _local.MinReplicasReads == 1, TimeSpan.FromSeconds(3));
        flip.Tell(Master(Old, "no advert"));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("REPLICAOF NO ONE", _local.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        var commands = _local.Commands.ToList();
        Assert.True(commands.IndexOf($"MIN-REPLICAS 0 {MasterFence.MinReplicasMaxLagSeconds}") is >= 0 and var lowered
                    && lowered < commands.IndexOf("REPLICAOF NO ONE"), $"lowered before REPLICAOF NO ONE: {string.Join(", ", commands)}");
        AwaitAssert(() => Assert.Contains("redis.conf's min-replicas-to-write 1 set to 0 until 1 replica(s) are online again",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(3));
        // No replica yet: the operator's setting stays lowered, so the new master takes writes.
        Observe(flip);
        Observe(flip);
        Thread.Sleep(200);
        Assert.Equal(new OperatorMinReplicas(0, MasterFence.MinReplicasMaxLagSeconds), _local.MinReplicas.Value);
        // The rebuilt old master is an online replica: the operator's setting is given back, once.
        _local.Facts = FakeRedisNode.Master(500) with { ConnectedReplicas = 1, Replicas = [new ReplicaLink("192.0.2.1", 6379, true, 500, 0)] };
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Equal(new OperatorMinReplicas(1, 10), _local.MinReplicas.Value);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        Observe(flip);
        Observe(flip);
        Thread.Sleep(200);
        Assert.Equal(1, _local.Commands.Count(c => c == "MIN-REPLICAS 1 10"));
    }

    [Fact]
    public void Unguarded_without_an_operators_min_replicas_a_promotion_sends_no_CONFIG_SET()
    {
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start();
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("REPLICAOF NO ONE", _local.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        Assert.DoesNotContain(_local.Commands, c => c.StartsWith("MIN-REPLICAS", StringComparison.Ordinal));
    }

    [Fact]
    public void A_master_that_left_while_this_replica_is_behind_and_whose_Redis_times_out_is_asked_again_not_given_up()
    {
        // Following the master, which is at 1000 while this replica is at 400. The master yields (its Redis
        // stalls: a timeout, not a refusal): the promotion waits for it instead of losing 600 bytes.
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start(syncTimeoutMs: 30_000);
        flip.Tell(Following(Old));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("PING", old.Probed);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        old.Down = true;
        flip.Tell(Master(Old, "master 192.0.2.1 left (priority 0 advert)"));
        Thread.Sleep(500);
        Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
        // It wakes: paused, caught up with, promoted, re-pointed.
        old.Down = false;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 1000);
        AwaitAssert(() => Assert.Contains("REPLICAOF NO ONE", _local.Commands), TimeSpan.FromSeconds(5));
        AwaitAssert(() => Assert.Contains("REPLICAOF 192.0.2.2 6379", old.Commands), TimeSpan.FromSeconds(5));
        Assert.Contains("CLIENT PAUSE WRITE", old.Commands);
    }

    [Fact]
    public void A_master_that_left_whose_Redis_refuses_connections_is_not_waited_for()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        var flip = Start(syncTimeoutMs: 30_000);
        flip.Tell(Following(Old));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("PING", old.Probed);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        old.Down = true;
        old.DownRefuses = true;
        flip.Tell(Master(Old, "master 192.0.2.1 left (priority 0 advert)"));
        AwaitAssert(() => Assert.Contains("REPLICAOF NO ONE", _local.Commands), TimeSpan.FromSeconds(2));
        AwaitAssert(() => Assert.Contains("estimated loss 600 bytes",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void After_a_command_times_out_the_role_is_read_again_before_anything_else_is_sent()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(100);
        _local.Facts = FakeRedisNode.Master(100);
        _local.Failing["REPLICAOF"] = true;
        var flip = Start();
        Observe(flip);
        flip.Tell(Following(Old));
        AwaitAssert(() => Assert.Contains("REPLICAOF", flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(3));
        // The REPLICAOF timed out: it may still land when the Redis wakes, so the next decision (FAULT)
        // must not act on the facts seen before it.
        _local.Failing.Clear();
        flip.Tell(new RoleDirective(DesiredRole.Fenced, null, null, "eth0 operstate down"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Empty(_local.Commands);
        // Read again: a master, so it is fenced.
        Observe(flip);
        AwaitAssert(() => Assert.Equal(["REPLICAOF 127.0.0.1 1"], _local.Commands), TimeSpan.FromSeconds(3));
    }
    [Fact]
    public void A_failing_min_replicas_reset_does_not_stop_the_promotion_and_is_reported()
    {
        // Redis 6.2 syntax, CONFIG renamed or denied, a timeout: the reset is optional; the VIP must
        // not sit on a READONLY replica while it is retried forever.
        _redis.Get("192.0.2.1").Down = true;
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        _local.Failing["MIN-REPLICAS"] = true;
        var flip = Start(guarded: true);
        Observe(flip);
        flip.Tell(Master(Old, "no advert"));
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], _local.Commands), TimeSpan.FromSeconds(3));
        AwaitAssert(() =>
        {
            var status = flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result;
            Assert.False(status.LastOutcomeFailed, status.LastOutcome);
            Assert.Contains("min-replicas-to-write not reset, promoted anyway", status.LastOutcome);
        }, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void An_old_master_whose_CONFIG_is_refused_is_still_repointed_and_the_note_is_in_the_outcome()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        old.ReplicaOfNote = "CONFIG SET masterauth on 192.0.2.1:6379: refused; REPLICAOF sent without it";
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 1000);
        var flip = Start();
        Observe(flip);
        flip.Tell(Master(Old, "preempted"));
        AwaitAssert(() => Assert.Contains("REPLICAOF 192.0.2.2 6379", old.Commands), TimeSpan.FromSeconds(3));
        AwaitAssert(() => Assert.Contains("REPLICAOF sent without it",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(true, true, true)]    // both ports refuse: the processes are gone, no fence wait
    [InlineData(true, false, false)]  // the coordinator's port still listens (a frozen node): wait
    [InlineData(false, true, false)]  // Redis still listens (cut off, maybe writable): wait
    public void A_silent_master_whose_Redis_and_coordinator_ports_both_refuse_is_taken_over_without_the_fence_wait(
        bool redisGone, bool coordinatorGone, bool promotedAtOnce)
    {
        using var redisPort = new LoopbackPort(listening: !redisGone);
        using var clusterPort = new LoopbackPort(listening: !coordinatorGone);
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        _redis.Get("192.0.2.1").Down = true;
        var flip = Start(guarded: true);
        // As gossiped: n1's advert source, Redis and cluster endpoints (here on loopback).
        flip.Tell(new DataPeersChanged([new DataPeer("n1", "127.0.0.1", redisPort.Port, false, RedisRole.Master, 5, 400,
            VrrpAddress: "192.0.2.1", ClusterHost: "127.0.0.1", ClusterPort: clusterPort.Port)]));
        Observe(flip);
        // Fell silent 0.5 s ago: without proof the promotion waits about 4 s more.
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Old, "no advert", PreviousMasterSilentFor: TimeSpan.FromSeconds(0.5)));
        if (promotedAtOnce)
        {
            AwaitAssert(() => Assert.Contains("REPLICAOF NO ONE", _local.Commands), TimeSpan.FromSeconds(2));
            AwaitAssert(() => Assert.Contains("without waiting for its fence: its Redis 127.0.0.1:",
                flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome), TimeSpan.FromSeconds(2));
        }
        else
        {
            Thread.Sleep(2000);
            Assert.DoesNotContain("REPLICAOF NO ONE", _local.Commands);
        }
    }

    /// <summary>A loopback port that listens, or one that was just released (connections are refused).</summary>
    private sealed class LoopbackPort : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);

        public LoopbackPort(bool listening)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            if (!listening) _listener.Stop();
        }

        public int Port { get; }

        public void Dispose() => _listener.Stop();
    }

    [Fact]
    public async Task A_Redis_that_refuses_CONFIG_is_shown_as_unable_to_fence_and_is_never_sent_min_replicas()
    {
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 400);
        _local.Refused["CONFIG SET"] = true;
        _redis.Get("192.0.2.1").Down = true;
        var flip = Start(guarded: true);
        Observe(flip);
        AwaitAssert(() => Assert.Equal("min-replicas self-fence off (CONFIG SET refused)",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.FenceUnavailable), TimeSpan.FromSeconds(3));
        // The old master fell silent: the fence wait is kept (200 ms left), but no self-fence is claimed.
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Old, "no advert", PreviousMasterSilentFor: MasterFence.SelfFenceTime));
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], _local.Commands), TimeSpan.FromSeconds(3));
        RoleFlipStatus status = null!;
        AwaitAssert(() => Assert.Contains("after waiting", (status = flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result).LastOutcome),
            TimeSpan.FromSeconds(3));
        Assert.Contains("may not have fenced itself (CONFIG SET refused here", status.LastOutcome);
        // Not even tried: the check already said why, once.
        Assert.DoesNotContain("min-replicas-to-write", status.LastOutcome);
        Assert.Equal(1, _local.PermissionChecks);
    }

    [Fact]
    public async Task An_unguarded_node_claims_no_self_fence_only_the_hand_over_pause()
    {
        _local.Facts = FakeRedisNode.Master(0);
        _local.Refused["CONFIG SET"] = true;
        var flip = Start();
        Observe(flip);
        AwaitCondition(() => _local.PermissionChecks == 1, TimeSpan.FromSeconds(3));
        Assert.Equal("", (await flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance)).FenceUnavailable);
        // CLIENT PAUSE is a fence on any node (the hand-over's).
        _local.Refused["CLIENT PAUSE"] = true;
        _local.Down = true;
        flip.Tell(new LocalRedisObserved(RedisProbe.Failed("connection refused"), false));
        _local.Down = false;
        Observe(flip);
        AwaitAssert(() => Assert.Equal("hand-over write pause off (CLIENT PAUSE refused)",
            flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.FenceUnavailable), TimeSpan.FromSeconds(3));
    }
    [Fact]
    public void CONFIG_refused_after_the_start_up_check_is_checked_again_and_then_shown_and_no_longer_sent()
    {
        // A guarded master with an online replica on a reachable peer keeps min-replicas-to-write 1.
        _local.Facts = FakeRedisNode.Master(100) with { ConnectedReplicas = 1, Replicas = [new ReplicaLink("192.0.2.1", 6379, true, 100, 0)] };
        var flip = Start(guarded: true);
        flip.Tell(new DataPeersChanged([new DataPeer("n1", "192.0.2.1", 6379, true, RedisRole.Replica, 0, 100)]));
        Observe(flip);
        flip.Tell(Master(null, "higher priority"));
        AwaitAssert(() => Assert.Contains($"MIN-REPLICAS 1 {MasterFence.MinReplicasMaxLagSeconds}", _local.Commands), TimeSpan.FromSeconds(3));
        Assert.Equal(1, _local.PermissionChecks);
        // The ACL changes live; the replica goes away, so the setting is due again (0), and refused: the
        // check runs again and status says so.
        _local.Refused["CONFIG SET"] = true;
        _local.Facts = FakeRedisNode.Master(100);
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Equal("min-replicas self-fence off (CONFIG SET refused)",
                flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.FenceUnavailable);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, _local.PermissionChecks);
    }
    [Fact]
    public void A_refused_CLIENT_UNPAUSE_on_the_old_master_still_reports_it_re_pointed()
    {
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        old.Failing["CLIENT UNPAUSE"] = true; // paused, then not released (its pause ends by itself)
        _local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 1000);
        var flip = Start();
        Observe(flip);
        flip.Tell(Master(Old, "preempted"));
        AwaitAssert(() => Assert.Equal(["CLIENT PAUSE WRITE", "REPLICAOF 192.0.2.2 6379"], old.Commands), TimeSpan.FromSeconds(3));
        AwaitAssert(() =>
        {
            var outcome = flip.Ask<RoleFlipStatus>(GetRoleFlipStatus.Instance).Result.LastOutcome;
            Assert.Contains("old master 192.0.2.1 re-pointed to 192.0.2.2:6379", outcome);
            Assert.Contains("could not release or drop its clients", outcome);
            Assert.DoesNotContain("could not re-point", outcome);
        }, TimeSpan.FromSeconds(3));
    }
}
