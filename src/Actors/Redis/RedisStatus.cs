namespace RedisHaActors.Redis;

/// <summary>Asks <see cref="RedisMonitorActor"/> for a <see cref="RedisStatus"/>.</summary>
public sealed record GetRedisStatus
{
    /// <summary>The single instance.</summary>
    public static GetRedisStatus Instance { get; } = new();
}

/// <summary>A snapshot of the local Redis check for status output and tests.</summary>
/// <param name="Endpoint">The checked Redis, <c>host:port</c>.</param>
/// <param name="Healthy">The rise/fall verdict; only a healthy node is eligible for MASTER.</param>
/// <param name="Passes">Consecutive passed checks (0 after a failure).</param>
/// <param name="Failures">Consecutive failed checks (0 after a pass).</param>
/// <param name="LastError">Last failure reason, "" when none.</param>
/// <param name="EffectivePriority">Configured VRRP priority with the check weight applied, 1..254.</param>
/// <param name="Checks">Checks completed since start.</param>
/// <param name="Facts">Replication facts of the latest check; null when it got no <c>INFO</c> answer (or before the first).</param>
/// <param name="WriteRefusal">Why the Redis refuses writes though it answers ("write path refused: MISCONF ..."), null when it takes them.</param>
/// <param name="ReplicaReadOnly">A replica's <c>replica-read-only</c>; false means the read-only fence does not hold there;
/// null for a master or when unknown (not asked yet, or CONFIG GET refused).</param>
public sealed record RedisStatus(
    string Endpoint,
    bool Healthy,
    int Passes,
    int Failures,
    string LastError,
    byte EffectivePriority,
    long Checks,
    ReplicationFacts? Facts,
    string? WriteRefusal = null,
    bool? ReplicaReadOnly = null);
