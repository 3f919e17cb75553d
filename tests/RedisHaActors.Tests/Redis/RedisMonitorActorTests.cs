using Akka.TestKit.Xunit2;
using RedisHaActors.Redis;

using RedisHaActors.Tests.Fakes;

namespace RedisHaActors.Tests.Redis;

public sealed class RedisMonitorActorTests : TestKit
{
    [Fact]
    public void Reports_healthy_after_the_first_pass_then_unhealthy_after_fall_failures_with_the_weight_applied()
    {
        var local = new FakeRedisNode("127.0.0.1:6379");
        var listener = CreateTestProbe();
        Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20, rise: 3, fall: 2, weight: -20), 200, local, listener));

        // The verdict goes out before the observation of the same check.
        var healthy = listener.ExpectMsg<RedisHealth>(TimeSpan.FromSeconds(2));
        Assert.True(healthy.Eligible);
        Assert.Equal(200, healthy.EffectivePriority);
        Assert.True(listener.ExpectMsg<LocalRedisObserved>().Probe.Passed);

        local.Down = true;
        var failed = Next<RedisHealth>(listener);
        Assert.False(failed.Eligible);
        Assert.Equal(180, failed.EffectivePriority);
        Assert.Contains("connection refused", failed.Cause);

        local.Down = false;
        var back = Next<RedisHealth>(listener);
        Assert.True(back.Eligible);
        Assert.Equal(200, back.EffectivePriority);
    }

    [Fact]
    public void An_unhealthy_verdict_says_whether_its_evidence_is_certain()
    {
        // A timeout (a stall) is not certain; the port refusing connections (the process gone) is.
        var local = new FakeRedisNode("127.0.0.1:6379");
        var listener = CreateTestProbe();
        Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20, rise: 1, fall: 2, weight: -20), 200, local, listener));
        Assert.True(listener.ExpectMsg<RedisHealth>(TimeSpan.FromSeconds(2)).Eligible);
        local.Down = true;
        var stalled = Next<RedisHealth>(listener);
        Assert.False(stalled.Eligible);
        Assert.False(stalled.Certain);
        local.DownRefuses = true;
        var gone = Next<RedisHealth>(listener);
        Assert.False(gone.Eligible);
        Assert.True(gone.Certain);
    }

    /// <summary>The next <typeparamref name="T"/>, skipping the per-check observations in between (at most 200).</summary>
    private static T Next<T>(Akka.TestKit.TestProbe probe)
    {
        for (var i = 0; i < 200; i++)
            if (probe.ReceiveOne(TimeSpan.FromSeconds(2)) is T t) return t;
        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} among 200 messages");
    }
}
