using RedisHaActors.Hosting;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Hosting;

public sealed class FailoverDampingTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Moved = TimeSpan.FromSeconds(100);
    private static readonly RedisHealth Timeouts = new(180, false, "redis check failed 2 times: timeout", false);
    private static readonly RedisHealth Refused = Timeouts with { Cause = "redis check failed 2 times: connection refused", Certain = true };
    private static readonly RedisHealth SyncedReplica = new(200, true, "redis check OK", true);

    [Fact]
    public void A_master_failing_on_timeouts_within_the_window_keeps_the_VIP_until_the_window_ends()
    {
        var v = FailoverDamping.Damp(Timeouts, master: true, Moved, Moved + TimeSpan.FromSeconds(10), Window);
        Assert.True(v.Health.Eligible);
        Assert.Equal(Moved + Window, v.Until);
        Assert.Contains("keeping the VIP for up to 20.0 s", v.Note);
        var after = FailoverDamping.Damp(Timeouts, master: true, Moved, Moved + Window, Window);
        Assert.Same(Timeouts, after.Health);
        Assert.Null(after.Until);
        Assert.Null(after.Note);
    }

    [Fact]
    public void Certain_evidence_is_never_damped()
    {
        var v = FailoverDamping.Damp(Refused, master: true, Moved, Moved + TimeSpan.FromSeconds(1), Window);
        Assert.False(v.Health.Eligible);
        Assert.Null(v.Note);
    }

    [Fact]
    public void A_backup_does_not_preempt_within_the_window_and_may_after_it()
    {
        var v = FailoverDamping.Damp(SyncedReplica, master: false, Moved, Moved + TimeSpan.FromSeconds(5), Window);
        Assert.False(v.Health.InSync);
        Assert.True(v.Health.Eligible);
        Assert.Equal(Moved + Window, v.Until);
        Assert.True(FailoverDamping.Damp(SyncedReplica, master: false, Moved, Moved + Window, Window).Health.InSync);
    }

    [Fact]
    public void Without_a_move_since_start_or_with_damping_off_nothing_changes()
    {
        Assert.Same(Timeouts, FailoverDamping.Damp(Timeouts, master: true, null, Moved, Window).Health);
        Assert.Same(Timeouts, FailoverDamping.Damp(Timeouts, master: true, Moved, Moved + TimeSpan.FromSeconds(1), TimeSpan.Zero).Health);
        Assert.Same(SyncedReplica, FailoverDamping.Damp(SyncedReplica, master: false, Moved, Moved + TimeSpan.FromSeconds(1), TimeSpan.Zero).Health);
    }

    [Fact]
    public void A_healthy_master_or_an_unsynced_backup_is_left_alone()
    {
        var healthy = SyncedReplica with { InSync = false };
        Assert.Same(healthy, FailoverDamping.Damp(healthy, master: true, Moved, Moved + TimeSpan.FromSeconds(1), Window).Health);
        Assert.Same(healthy, FailoverDamping.Damp(healthy, master: false, Moved, Moved + TimeSpan.FromSeconds(1), Window).Health);
    }
}
