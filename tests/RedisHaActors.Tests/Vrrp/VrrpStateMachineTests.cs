using System.Net;
using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.Ms;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>RFC 5798 §6.4 behaviour of <see cref="VrrpStateMachine"/> plus the product's yield and VIP lease rules.</summary>
public sealed class VrrpStateMachineTests
{
    internal static string Describe(VrrpAction a) => a switch
    {
        SendAdvertisement s => $"Send({s.Priority})",
        AcquireVirtualAddresses => "Acquire",
        RenewVirtualAddresses => "Renew",
        ReleaseVirtualAddresses => "Release",
        AnnounceVirtualAddresses => "Announce",
        StateChanged c => $"State({c.From}->{c.To})",
        MasterChanged m => $"MasterChanged({m.Master})",
        _ => a.GetType().Name,
    };

    internal static string[] Describe(IEnumerable<VrrpAction> actions) => actions.Select(Describe).ToArray();

    private static void AssertNear(double expectedMs, TimeSpan actual)
    {
        // One tick (100 ns) of slack for values like 996.09375 ms that are not a whole number of ticks.
        Assert.True(Math.Abs(actual.Ticks - expectedMs * TimeSpan.TicksPerMillisecond) <= 1,
            $"expected {expectedMs} ms, got {actual.TotalMilliseconds} ms");
    }

    // ---- §6.1 timer arithmetic ----

    public static TheoryData<byte, ushort, double, double> TimerNumbers => new()
    {
        // priority, Master_Adver_Interval (cs), Skew_Time (ms), Master_Down_Interval (ms)
        { 200, 100, 218.75, 3218.75 },     // 56 * 1000 / 256
        { 200, 20, 43.75, 643.75 },        // 56 * 200 / 256
        { 190, 100, 257.8125, 3257.8125 },
        { 1, 100, 996.09375, 3996.09375 }, // 255 * 1000 / 256
        { 254, 100, 7.8125, 3007.8125 },   // 2 * 1000 / 256
        { 254, 20, 1.5625, 601.5625 },
        { 255, 100, 3.90625, 3003.90625 },
        { 100, 1, 6.09375, 36.09375 },
        { 200, 4095, 8957.8125, 131807.8125 },
    };

    [Theory]
    [MemberData(nameof(TimerNumbers))]
    public void Skew_time_and_master_down_interval_follow_rfc5798_6_1(byte priority, ushort cs, double skewMs, double mdiMs)
    {
        AssertNear(skewMs, VrrpStateMachine.SkewTime(priority, cs));
        AssertNear(mdiMs, VrrpStateMachine.MasterDownInterval(priority, cs));
    }

    // ---- §6.4.1 Startup ----

    [Fact]
    public void Startup_goes_backup_releases_stale_vip_and_arms_no_timer_until_eligible()
    {
        var d = new VrrpDriver(Settings());
        Assert.False(d.State.Eligible);
        Assert.Equal(VrrpState.Initialize, d.State.State);

        var actions = d.Startup(At(1000));

        Assert.Equal(["Release", "State(Initialize->Backup)"], Describe(actions));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Null(d.State.MasterDownTimer);
        Assert.Null(d.State.AdverTimer);
        Assert.Null(d.Machine.NextDeadline(d.State));

        // The first passing check arms Master_Down_Timer from that moment.
        Assert.Empty(d.Health(At(5000), eligible: true));
        AssertNear(5000 + 3218.75, d.State.MasterDownTimer!.Value);
        Assert.Equal(d.State.MasterDownTimer, d.Machine.NextDeadline(d.State));
    }

    [Fact]
    public void Startup_of_an_already_eligible_node_arms_master_down_timer_at_once()
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: 20));
        Assert.Empty(d.Health(At(0), eligible: true));
        Assert.Equal(VrrpState.Initialize, d.State.State);
        Assert.Null(d.State.MasterDownTimer);

        d.Startup(At(100));

        Assert.Equal(VrrpState.Backup, d.State.State);
        AssertNear(100 + 643.75, d.State.MasterDownTimer!.Value);
    }

    [Fact]
    public void A_second_startup_changes_nothing()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        var before = d.State;
        Assert.Empty(d.Startup(At(500)));
        Assert.Equal(before, d.State);
    }

    // ---- §6.4.2 Backup: takeover timing ----

    public static TheoryData<byte, ushort> TakeoverCases => new()
    {
        { 200, 100 }, { 200, 20 }, { 1, 100 }, { 254, 100 }, { 100, 1 },
    };

    [Theory]
    [MemberData(nameof(TakeoverCases))]
    public void Backup_takes_over_exactly_at_the_deadline_naming_the_silent_master(byte priority, ushort cs)
    {
        var d = new VrrpDriver(Settings(priority: priority, intervalCs: cs)).EligibleBackup(At(0));
        var heard = At(1000);
        Assert.Equal(["MasterChanged(192.0.2.1)"], Describe(d.Advert(heard, 254, Node1)));
        var deadline = heard + VrrpStateMachine.MasterDownInterval(priority, cs);
        Assert.Equal(deadline, d.State.MasterDownTimer);

        Assert.Empty(d.Timer(deadline - At(1)));
        Assert.Equal(VrrpState.Backup, d.State.State);

        var actions = d.Timer(deadline);

        Assert.Equal([$"Send({priority})", "Acquire", "State(Backup->Master)"], Describe(actions));
        var change = Assert.IsType<StateChanged>(actions[2]);
        Assert.Contains("192.0.2.1", change.Cause);
        Assert.Contains("no advert", change.Cause);
        Assert.Null(change.Master);
        Assert.Equal(Node1, change.PreviousMaster);
        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.Null(d.State.MasterDownTimer);
        Assert.Equal(deadline + At(cs * 10), d.State.AdverTimer);
        Assert.Equal(deadline, d.State.LastRenewalAt);
    }

    [Fact]
    public void A_master_is_heard_while_its_adverts_are_younger_than_master_down_interval_and_not_once_it_left()
    {
        // Not eligible (an operator's forced promotion asks exactly then): no timer runs, yet a live master is told from a gone one.
        var d = new VrrpDriver(Settings(priority: 190, intervalCs: 100));
        d.Startup(At(0));
        Assert.Null(d.Machine.MasterHeardAgo(d.State, At(10)));
        d.Advert(At(1000), 200, Node1);
        Assert.Equal(At(500), d.Machine.MasterHeardAgo(d.State, At(1500)));
        var down = VrrpStateMachine.MasterDownInterval(190, 100);
        Assert.NotNull(d.Machine.MasterHeardAgo(d.State, At(1000) + down - At(1)));
        Assert.Null(d.Machine.MasterHeardAgo(d.State, At(1000) + down)); // fell silent
        d.Advert(At(6000), 200, Node1);
        d.Advert(At(6100), 0, Node1);                                    // left
        Assert.Null(d.Machine.MasterHeardAgo(d.State, At(6200)));
        // A master hears none but itself.
        var m = new VrrpDriver(Settings());
        var took = m.BecomeMaster(At(0));
        Assert.Null(m.Machine.MasterHeardAgo(m.State, took + At(100)));
    }

    [Fact]
    public void Backup_that_never_heard_a_master_takes_over_after_master_down_interval()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        Assert.Empty(d.Timer(At(3217)));
        var actions = d.Timer(At(3218.75));
        Assert.Equal(["Send(200)", "Acquire", "State(Backup->Master)"], Describe(actions));
        var change = Assert.IsType<StateChanged>(actions[2]);
        Assert.Contains("no master heard", change.Cause);
        Assert.Null(change.PreviousMaster);
    }

    /// <summary>What a BACKUP (local priority 200, heard nothing yet, deadline armed at 0) does with an advert at t = 1 s.</summary>
    public enum Expect { ResetTimer, Ignored, SkewTime }

    public static TheoryData<string, bool, byte, Expect> BackupAdvertTable => new()
    {
        { "preempt on, lower priority: discarded, timer keeps running", true, 100, Expect.Ignored },
        { "preempt on, priority 199: discarded", true, 199, Expect.Ignored },
        { "preempt on, equal priority: timer reset", true, 200, Expect.ResetTimer },
        { "preempt on, higher priority: timer reset", true, 250, Expect.ResetTimer },
        { "preempt off, lower priority: timer reset", false, 100, Expect.ResetTimer },
        { "preempt off, priority 1: timer reset", false, 1, Expect.ResetTimer },
        { "preempt off, higher priority: timer reset", false, 250, Expect.ResetTimer },
        { "preempt on, priority 0: Skew_Time", true, 0, Expect.SkewTime },
        { "preempt off, priority 0: Skew_Time", false, 0, Expect.SkewTime },
    };

    [Theory]
    [MemberData(nameof(BackupAdvertTable))]
    public void Backup_handles_an_advert_per_rfc5798_6_4_2(string name, bool preempt, byte advertPriority, Expect expect)
    {
        var d = new VrrpDriver(Settings(priority: 200, preempt: preempt)).EligibleBackup(At(0));
        var initialDeadline = d.State.MasterDownTimer!.Value;
        var at = At(1000);

        var actions = d.Advert(at, advertPriority, Node1);

        var deadline = expect switch
        {
            Expect.ResetTimer => at + VrrpStateMachine.MasterDownInterval(200, 100),
            Expect.Ignored => initialDeadline,
            _ => at + VrrpStateMachine.SkewTime(200, 100),
        };
        Assert.True(deadline == d.State.MasterDownTimer, $"{name}: deadline {d.State.MasterDownTimer} instead of {deadline}");
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.DoesNotContain(actions, a => a is SendAdvertisement or AcquireVirtualAddresses or StateChanged);
        if (expect == Expect.ResetTimer)
        {
            Assert.Equal(["MasterChanged(192.0.2.1)"], Describe(actions));
            Assert.Equal(Node1, d.State.MasterAddress);
        }

        // Whatever the advert did, the backup takes over exactly at the resulting deadline and not before.
        Assert.Empty(d.Timer(deadline - At(1)));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Equal(["Send(200)", "Acquire", "State(Backup->Master)"], Describe(d.Timer(deadline)));
    }

    [Fact]
    public void Preempt_on_lower_priority_master_keeps_advertising_but_backup_takes_over()
    {
        var d = new VrrpDriver(Settings(priority: 200, preempt: true)).EligibleBackup(At(0));
        var deadline = d.State.MasterDownTimer!.Value;
        for (var t = 0; t < deadline.TotalMilliseconds; t += 1000)
            Assert.Empty(d.Advert(At(t), 150, Node1));
        var actions = d.Timer(deadline);
        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.Contains(actions, a => a is AcquireVirtualAddresses);
    }

    [Fact]
    public void Preempt_off_lower_priority_master_keeps_the_vip_for_as_long_as_it_advertises()
    {
        var d = new VrrpDriver(Settings(priority: 200, preempt: false)).EligibleBackup(At(0));
        for (var t = 500; t <= 120_000; t += 1000)
        {
            d.Advert(At(t), 150, Node1);
            Assert.Empty(d.Timer(At(t + 999)));
            Assert.Equal(VrrpState.Backup, d.State.State);
        }
    }

    public static TheoryData<byte, ushort> PriorityZeroCases => new() { { 200, 100 }, { 1, 100 }, { 254, 20 }, { 100, 4095 } };

    [Theory]
    [MemberData(nameof(PriorityZeroCases))]
    public void Priority_zero_advert_makes_backup_take_over_after_skew_time(byte priority, ushort cs)
    {
        var d = new VrrpDriver(Settings(priority: priority, intervalCs: cs)).EligibleBackup(At(0));
        d.Advert(At(500), 254, Node1);
        var leaving = At(900);
        Assert.Empty(d.Advert(leaving, 0, Node1));
        var deadline = leaving + VrrpStateMachine.SkewTime(priority, cs);
        Assert.Equal(deadline, d.State.MasterDownTimer);

        Assert.Empty(d.Timer(deadline - At(1)));
        var actions = d.Timer(deadline);

        Assert.Equal([$"Send({priority})", "Acquire", "State(Backup->Master)"], Describe(actions));
        var change = (StateChanged)actions[2];
        Assert.Contains("192.0.2.1", change.Cause);
        Assert.Contains("priority 0", change.Cause);
        Assert.Equal(Node1, change.PreviousMaster);
    }

    [Fact]
    public void Master_changed_is_reported_once_per_new_master()
    {
        var d = new VrrpDriver(Settings(priority: 100)).EligibleBackup(At(0));
        Assert.Equal(["MasterChanged(192.0.2.1)"], Describe(d.Advert(At(100), 200, Node1)));
        Assert.Empty(d.Advert(At(1100), 200, Node1));
        Assert.Equal(["MasterChanged(192.0.2.3)"], Describe(d.Advert(At(1200), 250, Node3)));
        Assert.Equal(Node3, d.State.MasterAddress);
    }

    [Fact]
    public void Backup_learns_master_adver_interval_from_the_advert()
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: 100)).EligibleBackup(At(0));
        d.Advert(At(1000), 250, Node1, intervalCs: 20);
        Assert.Equal(20, d.State.MasterAdverIntervalCentiseconds);
        AssertNear(1000 + 643.75, d.State.MasterDownTimer!.Value);
    }

    // ---- §6.4.3 Master ----

    public static TheoryData<string, bool, byte, string, bool, string[]> MasterAdvertTable => new()
    {
        // name, preempt, advert priority, advert source, still master, actions (we are 192.0.2.2 at priority 200)
        { "higher priority -> backup", true, 250, "192.0.2.1", false, ["Release", "State(Master->Backup)"] },
        { "higher priority, preempt off -> backup", false, 201, "192.0.2.1", false, ["Release", "State(Master->Backup)"] },
        { "equal priority, higher address -> backup", true, 200, "192.0.2.3", false, ["Release", "State(Master->Backup)"] },
        // A lower-ranked node that believes it is master hears us at once, and neighbours get our MAC again.
        { "equal priority, lower address -> stays master, re-announces", true, 200, "192.0.2.1", true, ["Send(200)", "Announce"] },
        { "lower priority -> stays master, re-announces", true, 199, "192.0.2.3", true, ["Send(200)", "Announce"] },
        { "lower priority, preempt off -> stays master, re-announces", false, 1, "192.0.2.3", true, ["Send(200)", "Announce"] },
        { "priority 0 -> advert at once", true, 0, "192.0.2.1", true, ["Send(200)", "Renew"] },
    };

    [Theory]
    [MemberData(nameof(MasterAdvertTable))]
    public void Master_handles_an_advert_per_rfc5798_6_4_3(string name, bool preempt, byte advertPriority, string source, bool staysMaster, string[] expected)
    {
        var d = new VrrpDriver(Settings(priority: 200, preempt: preempt), Node2);
        var since = d.BecomeMaster(At(0));
        var at = since + At(400);
        var before = d.State;

        var actions = d.Advert(at, advertPriority, IPAddress.Parse(source));

        Assert.True(expected.SequenceEqual(Describe(actions)), $"{name}: got [{string.Join(", ", Describe(actions))}]");
        Assert.Equal(staysMaster ? VrrpState.Master : VrrpState.Backup, d.State.State);
        if (staysMaster)
            Assert.Equal(before with { AdverTimer = d.State.AdverTimer, LastRenewalAt = d.State.LastRenewalAt }, d.State);
        if (staysMaster)
            Assert.Equal(at + At(1000), d.State.AdverTimer); // the advert just sent restarts the interval
        if (!staysMaster)
        {
            var change = (StateChanged)actions[1];
            Assert.Equal(IPAddress.Parse(source), change.Master);
            Assert.Contains(source, change.Cause);
            Assert.Null(d.State.AdverTimer);
            Assert.Null(d.State.LastRenewalAt);
            Assert.Equal(IPAddress.Parse(source), d.State.MasterAddress);
            Assert.Equal(at + VrrpStateMachine.MasterDownInterval(200, 100), d.State.MasterDownTimer);
        }
    }

    [Fact]
    public void Equal_priority_tie_break_compares_addresses_as_numbers()
    {
        var d = new VrrpDriver(Settings(priority: 200), IPAddress.Parse("192.0.2.9"));
        var since = d.BecomeMaster(At(0));
        d.Advert(since + At(10), 200, IPAddress.Parse("192.0.2.10"));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void Master_stepping_down_learns_the_new_masters_interval()
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: 100));
        var since = d.BecomeMaster(At(0));
        d.Advert(since + At(10), 250, Node3, intervalCs: 20);
        Assert.Equal(VrrpState.Backup, d.State.State);
        AssertNear((since + At(10)).TotalMilliseconds + 643.75, d.State.MasterDownTimer!.Value);
    }

    [Fact]
    public void Master_sends_adverts_every_interval_without_drift_even_when_timers_fire_late()
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: 100, leaseSeconds: 3600));
        var since = d.BecomeMaster(At(0));
        for (var k = 1; k <= 50; k++)
        {
            var due = since + At(1000 * k);
            Assert.Equal(due, d.State.AdverTimer);
            Assert.Empty(d.Timer(due - At(1)));
            var late = due + At(k % 9 + 1); // the scheduler is 1..9 ms late every time
            Assert.Equal(["Send(200)"], Describe(d.Timer(late)));
        }
        Assert.Equal(since + At(51_000), d.State.AdverTimer);
    }

    [Fact]
    public void Master_after_a_short_stall_sends_one_advert_not_a_burst()
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: 100, leaseSeconds: 3600));
        var since = d.BecomeMaster(At(0));
        var now = since + At(3500); // three slots missed, lease still valid
        Assert.Equal(["Send(200)"], Describe(d.Timer(now)));
        Assert.True(d.State.AdverTimer > now && d.State.AdverTimer <= now + At(1000), $"next advert at {d.State.AdverTimer}");
        Assert.Empty(d.Timer(now + At(1)));
    }

    [Fact]
    public void Master_uses_its_new_effective_priority_in_later_adverts()
    {
        var d = new VrrpDriver(Settings(priority: 200, leaseSeconds: 3600));
        var since = d.BecomeMaster(At(0));
        Assert.Empty(d.Health(since + At(100), eligible: true, priority: 220));
        Assert.Equal(VrrpState.Master, d.State.State);
        Assert.Equal(["Send(220)"], Describe(d.Timer(since + At(1000))));
    }

    // ---- Shutdown ----

    [Fact]
    public void Shutdown_from_master_sends_priority_zero_then_releases()
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        var actions = d.Apply(new Shutdown(), since + At(300));
        Assert.Equal(["Send(0)", "Release", "State(Master->Initialize)"], Describe(actions));
        Assert.Equal(VrrpState.Initialize, d.State.State);
        Assert.Null(d.Machine.NextDeadline(d.State));
        Assert.Empty(d.Timer(since + At(10_000)));
        Assert.Equal(VrrpState.Initialize, d.State.State);
    }

    [Fact]
    public void Shutdown_from_backup_releases_without_an_advert()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        d.Advert(At(100), 250, Node1);
        var actions = d.Apply(new Shutdown(), At(200));
        Assert.Equal(["Release", "State(Backup->Initialize)"], Describe(actions));
        Assert.Equal(Node1, ((StateChanged)actions[1]).PreviousMaster);
        Assert.Null(d.Machine.NextDeadline(d.State));
        Assert.Empty(d.Timer(At(60_000)));
        Assert.Equal(VrrpState.Initialize, d.State.State);
    }

    [Fact]
    public void Shutdown_then_startup_listens_again()
    {
        var d = new VrrpDriver(Settings());
        var since = d.BecomeMaster(At(0));
        d.Apply(new Shutdown(), since + At(100));
        var actions = d.Startup(since + At(200));
        Assert.Equal(["Release", "State(Initialize->Backup)"], Describe(actions));
        Assert.Equal(since + At(200) + VrrpStateMachine.MasterDownInterval(200, 100), d.State.MasterDownTimer);
    }

    // ---- Yield (product rule): an ineligible master gives the VIP up whatever preempt says ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Master_that_becomes_ineligible_yields(bool preempt)
    {
        var d = new VrrpDriver(Settings(priority: 200, preempt: preempt));
        var since = d.BecomeMaster(At(0));

        var actions = d.Health(since + At(150), eligible: false, priority: 180, cause: "redis check failed 2 times: timeout");

        Assert.Equal(["Send(0)", "Release", "State(Master->Backup)"], Describe(actions));
        var change = (StateChanged)actions[2];
        Assert.Contains("yield", change.Cause);
        Assert.Contains("redis check failed 2 times", change.Cause);
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Null(d.State.MasterDownTimer);
        Assert.Null(d.State.AdverTimer);
        Assert.Null(d.Machine.NextDeadline(d.State));

        // Silence, or a master advertising at any priority, never arms a timer while ineligible.
        Assert.Empty(d.Timer(since + At(60_000)));
        d.Advert(since + At(61_000), 150, Node1);
        Assert.Null(d.State.MasterDownTimer);
        d.Advert(since + At(62_000), 0, Node1);
        Assert.Null(d.State.MasterDownTimer);
        Assert.Empty(d.Timer(since + At(600_000)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void Ineligible_backup_never_becomes_master_and_eligibility_needs_a_full_master_down_interval()
    {
        var d = new VrrpDriver(Settings(priority: 200));
        d.Startup(At(0));
        foreach (var t in new[] { 3218.75, 10_000, 100_000, 1_000_000 })
        {
            Assert.Empty(d.Timer(At(t)));
            Assert.Equal(VrrpState.Backup, d.State.State);
        }

        var eligibleAt = At(1_000_000);
        Assert.Empty(d.Health(eligibleAt, eligible: true));
        var deadline = eligibleAt + VrrpStateMachine.MasterDownInterval(200, 100);
        Assert.Equal(deadline, d.State.MasterDownTimer);
        Assert.Empty(d.Timer(deadline - At(1)));
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Equal(["Send(200)", "Acquire", "State(Backup->Master)"], Describe(d.Timer(deadline)));
    }

    [Fact]
    public void Backup_that_becomes_ineligible_disarms_its_timer()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        Assert.NotNull(d.State.MasterDownTimer);
        Assert.Empty(d.Health(At(1000), eligible: false, priority: 180));
        Assert.Null(d.State.MasterDownTimer);
        Assert.Empty(d.Timer(At(10_000)));
        Assert.Equal(VrrpState.Backup, d.State.State);
    }

    [Fact]
    public void Eligible_again_does_not_rearm_an_already_running_timer()
    {
        var d = new VrrpDriver(Settings()).EligibleBackup(At(0));
        var deadline = d.State.MasterDownTimer;
        d.Health(At(1000), eligible: true, priority: 210);
        Assert.Equal(deadline, d.State.MasterDownTimer);
        Assert.Equal(210, d.State.Priority);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void After_yielding_a_recovered_node_takes_the_vip_back_only_with_preempt_on(bool preempt)
    {
        // We (192.0.2.2, 200) yield; 192.0.2.1 (190) becomes master and advertises every second.
        var d = new VrrpDriver(Settings(priority: 200, preempt: preempt));
        var since = d.BecomeMaster(At(0));
        d.Health(since + At(100), eligible: false, priority: 180);
        var t = since + At(500);
        for (var i = 0; i < 10; i++, t += At(1000)) d.Advert(t, 190, Node1);

        var recovered = t;
        d.Health(recovered, eligible: true, priority: 200);
        var deadline = recovered + VrrpStateMachine.MasterDownInterval(200, 100);
        Assert.Equal(deadline, d.State.MasterDownTimer);

        var tookOverAt = (TimeSpan?)null;
        for (var now = recovered + At(10); now < recovered + At(120_000); now += At(10))
        {
            if ((now - recovered).Ticks % TimeSpan.FromSeconds(1).Ticks == 0) d.Advert(now, 190, Node1);
            if (d.Timer(now).Any(a => a is AcquireVirtualAddresses)) { tookOverAt = now; break; }
        }

        if (preempt)
        {
            // 190 < 200: its adverts are discarded and we take over at the deadline set on recovery.
            Assert.NotNull(tookOverAt);
            Assert.True(tookOverAt >= deadline && tookOverAt < deadline + At(10), $"took over at {tookOverAt}, deadline {deadline}");
        }
        else
        {
            Assert.Null(tookOverAt);
            Assert.Equal(VrrpState.Backup, d.State.State);
        }
    }

    // ---- VIP lease ----

    [Theory]
    [InlineData(2, 100)]
    [InlineData(2, 500)]  // advert interval longer than the lease: renewals still every lease/4
    [InlineData(4, 20)]
    public void Master_renews_the_vip_lease_every_quarter_lease(int leaseSeconds, ushort cs)
    {
        var d = new VrrpDriver(Settings(priority: 200, intervalCs: cs, leaseSeconds: leaseSeconds));
        Assert.Equal(TimeSpan.FromSeconds(leaseSeconds) / 4, d.Machine.RenewalInterval);
        var since = d.BecomeMaster(At(0));
        var renewals = new List<TimeSpan> { since };
        var adverts = new List<TimeSpan> { since };
        while (true)
        {
            var next = d.Machine.NextDeadline(d.State)!.Value;
            if (next > since + At(20_000)) break;
            foreach (var a in d.Timer(next))
            {
                if (a is RenewVirtualAddresses) renewals.Add(next);
                else if (a is SendAdvertisement) adverts.Add(next);
                else Assert.Fail($"unexpected {Describe(a)} at {next}");
            }
        }
        var quarter = TimeSpan.FromSeconds(leaseSeconds) / 4;
        Assert.Equal(Enumerable.Range(0, renewals.Count).Select(k => since + quarter * k), renewals);
        Assert.True(renewals.Count >= 20_000 / quarter.TotalMilliseconds);
        Assert.Equal(Enumerable.Range(0, adverts.Count).Select(k => since + At(cs * 10 * k)), adverts);
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    [Theory]
    [InlineData(2000)]
    [InlineData(2001)]
    [InlineData(2500)]
    [InlineData(30_000)]
    public void Stall_of_at_least_the_lease_drops_to_backup_without_a_late_renewal(double stallMs)
    {
        var d = new VrrpDriver(Settings(priority: 200, leaseSeconds: 2));
        var since = d.BecomeMaster(At(0));
        var renewed = since + At(500);
        Assert.Equal(["Renew"], Describe(d.Timer(renewed)));

        var now = renewed + At(stallMs);
        var actions = d.Timer(now);

        Assert.Equal(["Release", "State(Master->Backup)"], Describe(actions));
        Assert.Contains("lease", ((StateChanged)actions[1]).Cause);
        Assert.Equal(VrrpState.Backup, d.State.State);
        Assert.Null(d.State.AdverTimer);
        Assert.Null(d.State.LastRenewalAt);
        Assert.Equal(now + VrrpStateMachine.MasterDownInterval(200, 100), d.State.MasterDownTimer);
    }

    [Fact]
    public void Stall_just_under_the_lease_renews_and_stays_master()
    {
        var d = new VrrpDriver(Settings(priority: 200, leaseSeconds: 2));
        var since = d.BecomeMaster(At(0));
        var actions = d.Timer(since + At(1999));
        Assert.Equal(["Send(200)", "Renew"], Describe(actions));
        Assert.Equal(VrrpState.Master, d.State.State);
    }

    [Theory]
    [InlineData(0)]    // another master leaving: the machine answers with an advert at once
    [InlineData(150)]  // a lower-priority advert
    public void Advert_arriving_after_the_lease_lapsed_never_renews_the_vip(byte advertPriority)
    {
        // The process stalled longer than the lease, so the kernel has already removed the VIP; a
        // new master may hold it. The first event after the stall happens to be an advert, not the timer.
        var d = new VrrpDriver(Settings(priority: 200, leaseSeconds: 2));
        var since = d.BecomeMaster(At(0));
        var actions = d.Advert(since + At(5000), advertPriority, Node1);
        Assert.DoesNotContain(actions, a => a is RenewVirtualAddresses or AcquireVirtualAddresses);
    }
}
