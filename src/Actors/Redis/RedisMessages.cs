namespace RedisHaActors.Redis;

/// <summary>Published by <see cref="RedisMonitorActor"/> after every check of the local Redis.</summary>
/// <param name="Probe">The check result with replication facts.</param>
/// <param name="Healthy">The rise/fall verdict after this check.</param>
/// <param name="EmptyRestart">Why the local Redis is held back after restarting empty (<see cref="RestartWatch"/>), else null.</param>
public sealed record LocalRedisObserved(RedisProbe Probe, bool Healthy, string? EmptyRestart = null);
