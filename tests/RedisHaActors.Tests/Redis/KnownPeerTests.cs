using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;
using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Redis;

/// <summary>The Redis side never follows, probes or fences an address that is not a known peer, and forgets peers that left.</summary>
public sealed class KnownPeerTests : TestKit
{
    private static readonly IPAddress Known = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Stranger = IPAddress.Parse("192.0.2.250");

    private sealed class ShiftedClock : IMonotonicClock
    {
        private readonly StopwatchClock _inner = new();
        private long _shiftTicks;
        public TimeSpan Now => _inner.Now + TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks));
        public void Shift(TimeSpan by) => Interlocked.Add(ref _shiftTicks, by.Ticks);
    }

    private readonly FakeRedisFactory _redis = new();
    private readonly FakeRedisNode _local;
    private readonly ShiftedClock _clock = new();

    public KnownPeerTests() => _local = _redis.Get("127.0.0.1");

    private IActorRef Start(bool guarded = false) =>
        Sys.ActorOf(RoleFlipActor.Props(ActorTestSettings.Redis(), _local, _redis, "192.0.2.2", _clock, guarded ? TimeSpan.FromMilliseconds(200) : null));

    private void Observe(IActorRef flip) => flip.Tell(new LocalRedisObserved(new RedisProbe(true, _local.Facts, ""), true));

    [Fact]
    public void Screening_removes_only_unknown_masters_and_nothing_when_unfiltered()
    {
        var known = new HashSet<IPAddress> { Known };
        var toStranger = new RoleDirective(DesiredRole.Replica, Stranger, Stranger, "following", PreviousMasterAlive: true, PreviousMasterSilentFor: TimeSpan.FromSeconds(1));
        var screened = KnownPeers.Screen(toStranger, known);
        Assert.Null(screened.Master);
        Assert.Null(screened.PreviousMaster);
        Assert.False(screened.PreviousMasterAlive);
        Assert.Null(screened.PreviousMasterSilentFor);
        Assert.Same(toStranger, KnownPeers.Screen(toStranger, null));
        var toKnown = new RoleDirective(DesiredRole.Master, null, Known, "takeover");
        Assert.Same(toKnown, KnownPeers.Screen(toKnown, known));
    }

    [Fact]
    public void A_master_that_is_not_a_known_peer_gets_no_connection_and_no_REPLICAOF_a_known_one_is_followed()
    {
        _redis.Get("192.0.2.1").Facts = FakeRedisNode.Master(500);
        _local.Facts = FakeRedisNode.Master(0);
        var flip = Start();
        flip.Tell(new KnownPeersChanged(new HashSet<IPAddress> { Known }));
        flip.Tell(new RoleDirective(DesiredRole.Replica, Stranger, Stranger, $"following master {Stranger}"));
        for (var i = 0; i < 5; i++)
        {
            Observe(flip);
            Thread.Sleep(40);
        }
        Assert.False(_redis.Nodes.ContainsKey("192.0.2.250:6379"), "connected to a host that is not a peer");
        Assert.Empty(_local.Commands);
        // A promotion does not catch up with it either.
        flip.Tell(new RoleDirective(DesiredRole.Master, null, Stranger, "takeover", PreviousMasterAlive: true));
        flip.Tell(new RoleDirective(DesiredRole.Replica, Known, Known, $"following master {Known}"));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("REPLICAOF 192.0.2.1 6379", _local.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        Assert.False(_redis.Nodes.ContainsKey("192.0.2.250:6379"), "connected to a host that is not a peer");
    }

    [Fact]
    public void The_stray_master_sweep_forgets_a_peer_that_left_for_good()
    {
        var stray = _redis.Get("192.0.2.3");
        stray.Facts = FakeRedisNode.Master(10);
        _local.Facts = FakeRedisNode.Master(100);
        var flip = Start(guarded: true);
        flip.Tell(new DataPeersChanged([new DataPeer("n3", "192.0.2.3", 6379, false, RedisRole.Master, 1, 10)]));
        Observe(flip);
        flip.Tell(new RoleDirective(DesiredRole.Master, null, null, "takeover"));
        AwaitAssert(() =>
        {
            Observe(flip);
            Assert.Contains("REPLICAOF 192.0.2.2 6379", stray.Commands);
        }, TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(50));
        // n3 leaves the cluster and stays away past ForgetAfter; its Redis runs as a master again.
        flip.Tell(new DataPeersChanged([]));
        // Handled before the clock moves (a sweep on the shifted clock with n3 still listed would refresh it).
        flip.Tell(GetRoleFlipStatus.Instance, TestActor);
        ExpectMsg<RoleFlipStatus>(TimeSpan.FromSeconds(3));
        _clock.Shift(StrayMasters.ForgetAfter + TimeSpan.FromSeconds(1));
        Thread.Sleep(200); // a sweep still in flight ends first
        stray.Facts = FakeRedisNode.Master(10);
        for (var i = 0; i < 25; i++) // 2.5 s: two sweep intervals and more
        {
            Observe(flip);
            Thread.Sleep(100);
        }
        Assert.Single(stray.Commands, c => c == "REPLICAOF 192.0.2.2 6379");
    }
}
