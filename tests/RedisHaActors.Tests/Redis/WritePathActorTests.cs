using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Redis;

/// <summary>
/// A Redis that answers PING but refuses writes, through the actors on scripted Redis: the monitor fails
/// its check with the cause and makes it ineligible until the write path is back; a Redis that cannot
/// persist is never made a replica (the role flipper holds it, a promotion and the stray-master sweep
/// fence it at nothing instead); a replica with replica-read-only no shows in status.
/// </summary>
public sealed class WritePathActorTests : TestKit
{
    private static readonly IPAddress Old = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress New = IPAddress.Parse("192.0.2.2");
    private static readonly WriteRefusal Disk = new("MISCONF rdb_last_bgsave_status:err", true);

    private readonly FakeRedisFactory _redis = new();
    private readonly StopwatchClock _clock = new();

    [Fact]
    public void A_master_refusing_writes_fails_its_check_with_the_cause_and_is_eligible_again_only_once_writes_are_back()
    {
        var local = new FakeRedisNode("127.0.0.1:6379");
        var listener = CreateTestProbe();
        var monitor = Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20, rise: 3, fall: 2, weight: -20), 200, local, listener));
        Assert.True(Next<RedisHealth>(listener).Eligible);

        local.WriteRefusal = Disk;
        var failed = Next<RedisHealth>(listener);
        Assert.False(failed.Eligible);
        Assert.Equal(180, failed.EffectivePriority);
        Assert.Contains("write path refused: MISCONF rdb_last_bgsave_status:err", failed.Cause);
        // The observation still carries the facts (the role flipper needs them) and the refusal.
        var seen = Next<LocalRedisObserved>(listener);
        Assert.True(seen.Probe.Passed);
        Assert.Equal(Disk, seen.Probe.WriteRefusal);
        monitor.Tell(GetRedisStatus.Instance, TestActor);
        var status = ExpectMsg<RedisStatus>();
        Assert.False(status.Healthy);
        Assert.Equal("write path refused: MISCONF rdb_last_bgsave_status:err", status.WriteRefusal);
        Assert.Equal("write path refused: MISCONF rdb_last_bgsave_status:err", status.LastError);

        local.WriteRefusal = new WriteRefusal("OOM used_memory 2 > maxmemory 1 (maxmemory-policy noeviction)", false);
        ExpectNoHealth(listener, TimeSpan.FromMilliseconds(200)); // still failing, nothing new to tell VRRP
        local.WriteRefusal = null;
        var back = Next<RedisHealth>(listener);
        Assert.True(back.Eligible);
        Assert.Equal(200, back.EffectivePriority);
    }

    [Fact]
    public void A_master_out_of_memory_keeps_the_VIP_while_every_replica_would_refuse_writes_too_and_yields_once_one_would_take_them()
    {
        var local = new FakeRedisNode("127.0.0.1:6379")
        {
            Facts = FakeRedisNode.Master(10) with { Replicas = [new ReplicaLink("192.0.2.2", 6379, true, 10, 0)] },
        };
        var replica = _redis.Get("192.0.2.2");
        replica.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 10);
        var oom = new WriteRefusal("OOM used_memory 2 > maxmemory 1 (maxmemory-policy noeviction)", false);
        replica.WriteRefusal = oom with { Cause = oom.Cause.Replace(")", "; refused once promoted)") };
        var listener = CreateTestProbe();
        Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20, rise: 2, fall: 2, weight: -20), 200, local, listener, _redis));
        Assert.True(Next<RedisHealth>(listener).Eligible);
        local.WriteRefusal = oom;
        // A hand-over would gain no write: it stays eligible (its first check fails before the replica is asked; fall is 2).
        ExpectNoHealth(listener, TimeSpan.FromMilliseconds(600));
        // The replica would take writes: the refusal fails the check.
        replica.WriteRefusal = null;
        var failed = Next<RedisHealth>(listener);
        Assert.False(failed.Eligible);
        Assert.Contains("write path refused: OOM", failed.Cause);
    }

    [Fact]
    public void A_replica_with_replica_read_only_no_is_reported_in_status()
    {
        var local = new FakeRedisNode("127.0.0.1:6379") { Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 10) };
        local.ReplicaReadOnly = new(false);
        var monitor = Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20), 200, local, CreateTestProbe()));
        AwaitAssert(() =>
        {
            monitor.Tell(GetRedisStatus.Instance, TestActor);
            Assert.False(ExpectMsg<RedisStatus>().ReplicaReadOnly);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        // Not claimed for a master (nothing to fence there).
        local.Facts = FakeRedisNode.Master(10);
        AwaitAssert(() =>
        {
            monitor.Tell(GetRedisStatus.Instance, TestActor);
            Assert.Null(ExpectMsg<RedisStatus>().ReplicaReadOnly);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void An_old_master_that_cannot_persist_is_held_read_only_not_made_a_replica_and_follows_once_its_disk_is_back()
    {
        var local = _redis.Get("127.0.0.1");
        var master = _redis.Get("192.0.2.2");
        local.Facts = FakeRedisNode.Master(100);
        local.WriteRefusal = Disk;
        master.Facts = FakeRedisNode.Master(100);
        var flip = Sys.ActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(), local, _redis, "192.0.2.1", _clock));
        flip.Tell(new RoleDirective(DesiredRole.Replica, New, New, "following master 192.0.2.2"));
        for (var i = 0; i < 10; i++) Observe(flip, local);
        // Fenced at nothing, never a replica of the new master while its disk fails.
        AwaitAssert(() => Assert.Equal(["REPLICAOF 127.0.0.1 1"], local.Commands), TimeSpan.FromSeconds(3));
        for (var i = 0; i < 10; i++)
        {
            Observe(flip, local);
            Thread.Sleep(20);
        }
        Assert.Equal(["REPLICAOF 127.0.0.1 1"], local.Commands);
        // The disk is back: it follows.
        local.WriteRefusal = null;
        AwaitAssert(() =>
        {
            Observe(flip, local);
            Assert.Equal(["REPLICAOF 127.0.0.1 1", "REPLICAOF 192.0.2.2 6379"], local.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void A_promotion_catches_up_with_an_old_master_that_cannot_persist_and_fences_it_at_nothing_instead_of_at_us()
    {
        var local = _redis.Get("127.0.0.1");
        var old = _redis.Get("192.0.2.1");
        old.Facts = FakeRedisNode.Master(1000);
        old.WriteRefusal = Disk;
        local.Facts = FakeRedisNode.ReplicaOf("192.0.2.1", 6379, 1000);
        var flip = Sys.ActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(syncTimeoutMs: 30_000), local, _redis, "192.0.2.2", _clock));
        Observe(flip, local);
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Old, "old master left"));
        AwaitAssert(() => Assert.Equal(["REPLICAOF NO ONE"], local.Commands), TimeSpan.FromSeconds(3));
        AwaitAssert(() => Assert.Equal(["CLIENT PAUSE WRITE", "REPLICAOF 127.0.0.1 1", "CLIENT UNPAUSE", "CLIENT KILL TYPE normal"], old.Commands),
            TimeSpan.FromSeconds(3));
        AwaitAssert(() =>
        {
            flip.Tell(GetRoleFlipStatus.Instance, TestActor);
            Assert.Contains("held read-only (REPLICAOF 127.0.0.1 1), not made our replica: its write path refused: MISCONF", ExpectMsg<RoleFlipStatus>().LastOutcome);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task The_stray_master_sweep_fences_a_Redis_that_cannot_persist_at_nothing()
    {
        var stray = _redis.Get("192.0.2.1");
        stray.Facts = FakeRedisNode.Master(10);
        stray.WriteRefusal = Disk;
        var lines = await StrayMasterSweep.RunAsync([("192.0.2.1", 6379, stray)], "192.0.2.2", 6379, TimeSpan.FromSeconds(1));
        Assert.Equal(["REPLICAOF 127.0.0.1 1", "CLIENT UNPAUSE", "CLIENT KILL TYPE normal"], stray.Commands);
        Assert.Contains("held read-only, not made our replica", Assert.Single(lines));
    }

    private static void Observe(IActorRef flip, FakeRedisNode local) =>
        flip.Tell(new LocalRedisObserved(new RedisProbe(true, local.Facts, "", local.WriteRefusal), local.WriteRefusal is null));

    private static T Next<T>(Akka.TestKit.TestProbe probe)
    {
        for (var i = 0; i < 200; i++)
            if (probe.ReceiveOne(TimeSpan.FromSeconds(2)) is T t) return t;
        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} among 200 messages");
    }

    private static void ExpectNoHealth(Akka.TestKit.TestProbe probe, TimeSpan within)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < within)
            Assert.False(probe.ReceiveOne(TimeSpan.FromMilliseconds(50)) is RedisHealth h, "unexpected RedisHealth");
    }
}
