using RedisHaActors.Primitives;
using System.Collections.Concurrent;
using System.Diagnostics;
using RedisHaActors.Hosting;

namespace RedisHaActors.Tests.Primitives;

/// <summary>
/// Order and "never early" only: how late the timer fires is a figure for bench/takeover.sh, not an
/// assertion here (upper bounds are seconds, for a loaded CI host).
/// </summary>
public sealed class PreciseTimerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public void A_one_shot_fires_once_and_never_before_its_deadline()
    {
        var fired = new BlockingCollection<long>();
        using var timer = new PreciseTimer(() => fired.Add(Stopwatch.GetTimestamp()));
        var armed = Stopwatch.GetTimestamp();
        timer.Arm(TimeSpan.FromMilliseconds(30.4));
        Assert.True(fired.TryTake(out var at, Patience), "fired");
        Assert.True(Stopwatch.GetElapsedTime(armed, at) >= TimeSpan.FromMilliseconds(30.4));
        Assert.False(fired.TryTake(out _, TimeSpan.FromMilliseconds(200)), "fired only once");
    }

    [Fact]
    public void Re_arming_replaces_the_deadline_and_disarming_stops_it()
    {
        var fired = new BlockingCollection<long>();
        using var timer = new PreciseTimer(() => fired.Add(Stopwatch.GetTimestamp()));
        // First deadlines of a second or more, so a stalled test thread cannot let them fire
        // before they are replaced.
        var armed = Stopwatch.GetTimestamp();
        timer.Arm(TimeSpan.FromSeconds(1));
        timer.Arm(TimeSpan.FromMilliseconds(1500)); // later: the 1 s deadline is gone
        Assert.True(fired.TryTake(out var at, Patience), "fired");
        Assert.True(Stopwatch.GetElapsedTime(armed, at) >= TimeSpan.FromMilliseconds(1500));

        timer.Arm(TimeSpan.FromSeconds(60));
        var rearmed = Stopwatch.GetTimestamp();
        timer.Arm(TimeSpan.FromMilliseconds(10)); // earlier: the waiting thread is woken for it
        Assert.True(fired.TryTake(out at, Patience), "the earlier deadline fired without waiting for the 60 s one");
        Assert.True(Stopwatch.GetElapsedTime(rearmed, at) < TimeSpan.FromSeconds(5));

        timer.Arm(TimeSpan.FromSeconds(1));
        timer.Disarm();
        Assert.False(fired.TryTake(out _, TimeSpan.FromMilliseconds(1500)), "disarmed");
    }

    [Fact]
    public void A_periodic_timer_keeps_its_schedule_and_survives_a_throwing_callback()
    {
        var fired = new BlockingCollection<long>();
        var calls = 0;
        using var timer = new PreciseTimer(() =>
        {
            fired.Add(Stopwatch.GetTimestamp());
            if (Interlocked.Increment(ref calls) == 2) throw new InvalidOperationException("test: a failing callback");
        });
        var armed = Stopwatch.GetTimestamp();
        timer.ArmPeriodic(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20));
        var times = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(fired.TryTake(out var at, Patience), $"firing {i + 1}");
            times.Add(at);
        }
        timer.Disarm();
        // Firing k is never before due + k * period (absolute schedule, no drift from late firings).
        for (var k = 0; k < times.Count; k++)
            Assert.True(Stopwatch.GetElapsedTime(armed, times[k]) >= TimeSpan.FromMilliseconds(10 + 20 * k), $"firing {k + 1} early");
    }

    [Theory]
    [InlineData(1000, 100, 1050, 1100)]       // on time: one period on
    [InlineData(1000, 100, 1100, 1200)]       // exactly at the next slot: the one after it
    [InlineData(1000, 100, 1437, 1500)]       // three slots missed: skipped, still on the grid
    [InlineData(0, 7, 1_000_000, 1_000_006)]  // far behind: the first slot after now
    public void A_late_periodic_firing_skips_missed_slots_without_drifting(long deadline, long period, long now, long expected)
    {
        var next = PreciseTimer.NextPeriodicDeadline(deadline, period, now);
        Assert.Equal(expected, next);
        Assert.True(next > now);
        Assert.Equal(0, (next - deadline) % period);
    }

    [Fact]
    public void Disposing_stops_a_periodic_timer()
    {
        var fired = new BlockingCollection<long>();
        var timer = new PreciseTimer(() => fired.Add(Stopwatch.GetTimestamp()));
        timer.ArmPeriodic(TimeSpan.Zero, TimeSpan.FromMilliseconds(10));
        Assert.True(fired.TryTake(out _, Patience), "fired");
        timer.Dispose();
        var disposedAt = Stopwatch.GetTimestamp();
        Thread.Sleep(300);
        var after = 0;
        for (var i = 0; i < 10_000 && fired.TryTake(out var at); i++)
            if (at > disposedAt) after++;
        Assert.True(after <= 1, $"{after} firings after Dispose (one already under way may land)");
    }
}
