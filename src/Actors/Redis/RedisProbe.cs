namespace RedisHaActors.Redis;

/// <summary>
/// Result of one check of a Redis (PING then <c>INFO</c>). It passes when the server answers: PING
/// answers PONG (or MASTERDOWN: a replica whose master is gone is alive, or MISCONF: a Redis that cannot
/// persist is alive and its facts are needed) and INFO parses; a timeout, <c>LOADING</c>, <c>BUSY</c>, an
/// auth error or a refused connection fails it. Whether it takes writes is <see cref="WriteRefusal"/>
/// (<see cref="WritePath"/>): the health check fails for it too, the role decisions read it apart.
/// </summary>
/// <param name="Passed">The server answered and its facts are known.</param>
/// <param name="Facts">Replication facts when INFO answered, even if the check failed.</param>
/// <param name="Error">Failure reason, one line; "" when passed.</param>
/// <param name="WriteRefusal">Why it refuses writes though it answers (MISCONF, OOM), null when it takes them or did not answer.</param>
/// <param name="ConnectionRefused">A failed check whose Redis port then refused a TCP connection: the process is gone (a timeout
/// proves nothing: a stall, a fork, a busy script).</param>
public sealed record RedisProbe(bool Passed, ReplicationFacts? Facts, string Error, WriteRefusal? WriteRefusal = null, bool ConnectionRefused = false)
{
    /// <summary>A failed probe.</summary>
    public static RedisProbe Failed(string error) => new(false, null, error);

    /// <summary>The health check's verdict: it answered and takes writes.</summary>
    public bool Healthy => Passed && WriteRefusal is null;

    /// <summary>Why the health check failed, "" when <see cref="Healthy"/>.</summary>
    public string HealthError => !Passed ? Error : WriteRefusal?.Reason ?? "";
}
