namespace RedisHaActors.Redis;

/// <summary>
/// The read-only fence: a replica of a port nothing listens on (<c>REPLICAOF 127.0.0.1 1</c>). The
/// data stays, writes get <c>READONLY</c>, and a replica of this Redis that retries its link gets
/// <c>NOMASTERLINK</c> instead of a full resync. The coordinator fences with it, and redis.conf can
/// start Redis in it (<see cref="RedisConfLine"/>) so a restarted Redis takes no write before its role is set.
/// </summary>
public static class LocalFence
{
    /// <summary>The fence's master host.</summary>
    public const string Host = "127.0.0.1";

    /// <summary>The fence's master port (tcpmux, never a Redis).</summary>
    public const int Port = 1;

    /// <summary>The redis.conf line that starts Redis fenced.</summary>
    public const string RedisConfLine = "replicaof 127.0.0.1 1";
}
