using RedisHaActors.Redis;
using Xunit;

namespace RedisHaActors.Tests.Redis;

public sealed class HealthScoreTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(100)]
    public void Initial_state_is_unhealthy_and_one_pass_away_from_healthy(int rise)
    {
        var initial = HealthScore.Initial(rise);
        Assert.False(initial.Healthy);
        Assert.Equal(0, initial.Failures);
        Assert.NotEqual("", initial.LastError);

        var afterOnePass = initial.Apply(passed: true, "", rise, fall: 2);
        Assert.True(afterOnePass.Healthy);
        Assert.Equal("", afterOnePass.LastError);
    }

    /// <summary>
    /// Sequences of check results (P = pass, F = fail) and the verdict after each one, from
    /// <see cref="HealthScore.Initial"/>: healthy (H) or not (-).
    /// </summary>
    [Theory]
    [InlineData(2, 2, "P", "H")]
    [InlineData(2, 2, "PFFPP", "HH--H")]       // fall 2: first failure tolerated; rise 2: two passes to recover
    [InlineData(2, 2, "PFPFPFP", "HHHHHHH")]   // alternating never reaches fall consecutive failures
    [InlineData(2, 2, "PFFPFPP", "HH----H")]   // a failure during recovery restarts the rise count
    [InlineData(3, 1, "PFPPP", "H---H")]       // fall 1: one failure is enough; rise 3
    [InlineData(1, 3, "PFFFP", "HHH-H")]
    [InlineData(2, 2, "FP", "--")]             // a failure first uses up the initial credit: rise passes needed
    [InlineData(2, 2, "FPP", "--H")]
    [InlineData(3, 2, "FFFFPPP", "------H")]
    [InlineData(1, 1, "FPFP", "-H-H")]
    public void Rise_and_fall_sequences(int rise, int fall, string checks, string expected)
    {
        var score = HealthScore.Initial(rise);
        var verdicts = "";
        foreach (var c in checks)
        {
            score = score.Apply(c == 'P', c == 'P' ? "" : "timeout", rise, fall);
            verdicts += score.Healthy ? 'H' : '-';
            if (c == 'P') Assert.Equal(0, score.Failures);
            else
            {
                Assert.Equal(0, score.Passes);
                Assert.Equal("timeout", score.LastError);
            }
        }
        Assert.Equal(expected, verdicts);
    }

    [Fact]
    public void Counters_count_consecutive_results()
    {
        var s = HealthScore.Initial(2).Apply(true, "", 2, 3).Apply(true, "", 2, 3);
        Assert.Equal(3, s.Passes);
        s = s.Apply(false, "LOADING", 2, 3).Apply(false, "LOADING", 2, 3);
        Assert.Equal((0, 2, true), (s.Passes, s.Failures, s.Healthy));
        s = s.Apply(false, "connection refused", 2, 3);
        Assert.Equal((0, 3, false, "connection refused"), (s.Passes, s.Failures, s.Healthy, s.LastError));
        s = s.Apply(true, "", 2, 3);
        Assert.Equal((1, 0, false), (s.Passes, s.Failures, s.Healthy));
        Assert.Equal("connection refused", s.LastError); // still unhealthy: the reason stays visible
    }

    [Theory]
    // base, weight, healthy, expected effective priority
    [InlineData(200, -20, true, 200)]   // negative weight applies only while failing
    [InlineData(200, -20, false, 180)]
    [InlineData(10, -20, false, 1)]     // clamped: never 0 (that means "leaving")
    [InlineData(1, -254, false, 1)]
    [InlineData(254, -254, false, 1)]
    [InlineData(200, 20, true, 220)]    // positive weight applies only while passing
    [InlineData(200, 20, false, 200)]
    [InlineData(250, 20, true, 254)]    // clamped: never 255 (address owner)
    [InlineData(254, 254, true, 254)]
    [InlineData(100, 0, true, 100)]     // weight 0: the check only gates eligibility
    [InlineData(100, 0, false, 100)]
    public void Effective_priority_applies_the_weight_and_clamps_to_1_254(byte basePriority, int weight, bool healthy, byte expected)
    {
        var score = new HealthScore(healthy, healthy ? 5 : 0, healthy ? 0 : 5, healthy ? "" : "timeout");
        Assert.Equal(expected, score.EffectivePriority(basePriority, weight));
    }

    [Fact]
    public void Weight_follows_the_verdict_not_single_results()
    {
        // fall 2: after one failure the node is still healthy, so a negative weight does not apply yet.
        var s = HealthScore.Initial(2).Apply(true, "", 2, 2).Apply(false, "timeout", 2, 2);
        Assert.Equal(200, s.EffectivePriority(200, -20));
        s = s.Apply(false, "timeout", 2, 2);
        Assert.Equal(180, s.EffectivePriority(200, -20));
    }
}
