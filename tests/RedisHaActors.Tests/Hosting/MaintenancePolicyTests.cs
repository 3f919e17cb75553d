using RedisHaActors.Cluster;
using RedisHaActors.Hosting;
using RedisHaActors.Vrrp;
using Xunit;

namespace RedisHaActors.Tests.Hosting;

/// <summary><see cref="MaintenancePolicy"/>: when pause and resume are refused, and what VRRP's health input becomes while paused.</summary>
public sealed class MaintenancePolicyTests
{
    private static readonly QuorumView Quorum = new(true, 3, 3, "3 of 3 voters");
    private static readonly QuorumView NoQuorum = new(false, 1, 3, "1 of 3 voters");

    private static PeerView Peer(string name, PeerVrrpState vrrp, bool reachable = true) =>
        new(new PeerState(name, PeerRole.Data, $"akka.tcp://redis-ha@192.0.2.{name[1..]}:4053", $"192.0.2.{name[1..]}", $"192.0.2.{name[1..]}", 6379,
            vrrp, 100, 0, PeerRedisRole.Replica, 1), reachable);

    [Fact]
    public void Pause_without_the_cluster_guard_is_refused_naming_the_key() =>
        Assert.Contains("akka.cluster.seed-nodes", MaintenancePolicy.Refusal(true, false, guarded: false, QuorumView.GuardOff, true, []));

    [Fact]
    public void Pause_without_a_majority_is_refused() =>
        Assert.Contains("majority", MaintenancePolicy.Refusal(true, false, true, NoQuorum, true, []));

    [Fact]
    public void Pause_with_the_guard_and_a_majority_goes_ahead() =>
        Assert.Null(MaintenancePolicy.Refusal(true, false, true, Quorum, false, [Peer("n1", PeerVrrpState.Master)]));

    [Fact]
    public void Resume_needs_a_live_VIP_holder_unless_forced()
    {
        var holderGone = new[] { Peer("n1", PeerVrrpState.Master, reachable: false), Peer("n3", PeerVrrpState.Backup) };
        Assert.Contains("--force", MaintenancePolicy.Refusal(false, false, true, Quorum, false, holderGone));
        Assert.Null(MaintenancePolicy.Refusal(false, true, true, Quorum, false, holderGone));
        Assert.Null(MaintenancePolicy.Refusal(false, false, true, Quorum, false, [Peer("n1", PeerVrrpState.Master)]));
        Assert.Null(MaintenancePolicy.Refusal(false, false, true, Quorum, selfMaster: true, []));
    }

    private static readonly HealthChanged Healthy = new(200, true, "redis check OK");
    private static readonly HealthChanged Failing = new(180, false, "redis check failed 2 times");

    [Fact]
    public void Not_paused_the_input_passes_unchanged()
    {
        Assert.Same(Healthy, MaintenancePolicy.Gate(Healthy, MaintenanceMode.Off, holder: false));
        Assert.Same(Failing, MaintenancePolicy.Gate(Failing, MaintenanceMode.Off, holder: true));
    }

    [Fact]
    public void Paused_a_backup_never_takes_over_however_healthy()
    {
        var gated = MaintenancePolicy.Gate(Healthy, MaintenanceMode.Paused, holder: false);
        Assert.False(gated.Eligible);
        Assert.Contains("paused", gated.Cause);
    }

    [Fact]
    public void Paused_the_holder_keeps_the_VIP_even_with_a_failing_check()
    {
        var gated = MaintenancePolicy.Gate(Failing, MaintenanceMode.Paused, holder: true);
        Assert.True(gated.Eligible);
        Assert.Equal(180, gated.EffectivePriority);
    }

    [Fact]
    public void Before_the_mode_is_known_only_a_restarted_holder_may_take_the_VIP_back()
    {
        Assert.False(MaintenancePolicy.Gate(Healthy, MaintenanceMode.Unknown, holder: false).Eligible);
        Assert.True(MaintenancePolicy.Gate(Healthy, MaintenanceMode.Unknown, holder: true).Eligible);
    }

    [Fact]
    public void Paused_a_lost_quorum_does_not_move_the_VIP_and_unpaused_it_does()
    {
        Assert.True(MaintenancePolicy.Quorum(NoQuorum, holdingStill: true).HasQuorum);
        Assert.False(MaintenancePolicy.Quorum(NoQuorum, holdingStill: false).HasQuorum);
        Assert.True(MaintenancePolicy.Quorum(Quorum, holdingStill: false).HasQuorum);
    }

    [Fact]
    public void The_gossiped_state_round_trips_and_a_malformed_one_reads_as_none()
    {
        var state = new MaintenanceState(true, "n2", new DateTimeOffset(2026, 12, 6, 4, 0, 0, TimeSpan.Zero));
        Assert.Equal(state, MaintenanceState.FromJson(state.ToJson()));
        Assert.Null(MaintenanceState.FromJson("{not json"));
        Assert.Equal("paused by n2 at 2026-12-06 04:00:00Z", state.Describe());
    }
}
