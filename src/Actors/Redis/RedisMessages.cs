namespace RedisHaActors.Redis;

/// <summary>Published by <see cref="RedisMonitorActor"/> after every check of the local Redis.</summary>
/// <param name="Probe">The check result with replication facts.</param>
/// <param name="Healthy">The rise/fall verdict after this check.</param>
/// <param name="EmptyRestart">Why the local Redis is held back after restarting empty (<see cref="RestartWatch"/>), else null.</param>
public sealed record LocalRedisObserved(RedisProbe Probe, bool Healthy, string? EmptyRestart = null);

/// <summary>This node's VIP lease was acquired or renewed (it is VRRP MASTER and holds the address).</summary>
/// <param name="Lease">The lease, on the node's monotonic clock.</param>
public sealed record VipLeaseRenewed(Primitives.Lease Lease);

/// <summary>The monitor's verdict on the local Redis, sent when it changes.</summary>
/// <param name="EffectivePriority">1..254: the base priority plus the check's weight.</param>
/// <param name="Eligible">Healthy and not held back after an empty restart.</param>
/// <param name="Cause">Why, for the transition log.</param>
/// <param name="InSync">A replica with its master link up: only then may the node preempt.</param>
/// <param name="Certain">Unhealthy on certain evidence: the Redis port refuses connections (the process is gone) or the Redis
/// itself refuses writes (MISCONF, OOM). False for timeouts, which a stall also gives; <see cref="Hosting.FailoverDamping"/> reads it.</param>
public sealed record RedisHealth(byte EffectivePriority, bool Eligible, string Cause, bool InSync, bool Certain = false);
