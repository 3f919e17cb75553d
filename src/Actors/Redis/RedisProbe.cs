namespace RedisHaActors.Redis;

/// <summary>
/// Result of one health check of a Redis (PING then <c>INFO replication</c>). A check passes
/// only when PING answers PONG (or MASTERDOWN: a replica whose master is gone is alive) and INFO
/// parses; a timeout, <c>LOADING</c>, <c>BUSY</c>, an auth error or a refused connection fails it.
/// </summary>
/// <param name="Passed">The check passed.</param>
/// <param name="Facts">Replication facts when INFO answered, even if the check failed.</param>
/// <param name="Error">Failure reason, one line; "" when passed.</param>
public sealed record RedisProbe(bool Passed, ReplicationFacts? Facts, string Error)
{
    /// <summary>A failed probe.</summary>
    public static RedisProbe Failed(string error) => new(false, null, error);
}
