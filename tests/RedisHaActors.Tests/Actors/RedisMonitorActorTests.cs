using Akka.TestKit.Xunit2;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Actors;

public sealed class RedisMonitorActorTests : TestKit
{
    [Fact]
    public void Reports_healthy_after_the_first_pass_then_unhealthy_after_fall_failures_with_the_weight_applied()
    {
        var local = new FakeRedisNode("127.0.0.1:6379");
        var vrrp = CreateTestProbe();
        var roleFlip = CreateTestProbe();
        Sys.ActorOf(RedisMonitorActor.Props(ActorTestSettings.Redis(checkMs: 20, rise: 3, fall: 2, weight: -20), 200, local, vrrp, roleFlip));

        var healthy = vrrp.ExpectMsg<HealthChanged>(TimeSpan.FromSeconds(2));
        Assert.True(healthy.Eligible);
        Assert.Equal(200, healthy.EffectivePriority);
        Assert.True(roleFlip.ExpectMsg<LocalRedisObserved>().Probe.Passed);

        local.Down = true;
        var failed = vrrp.ExpectMsg<HealthChanged>(TimeSpan.FromSeconds(2));
        Assert.False(failed.Eligible);
        Assert.Equal(180, failed.EffectivePriority);
        Assert.Contains("connection refused", failed.Cause);

        local.Down = false;
        var back = vrrp.ExpectMsg<HealthChanged>(TimeSpan.FromSeconds(2));
        Assert.True(back.Eligible);
        Assert.Equal(200, back.EffectivePriority);
    }
}
