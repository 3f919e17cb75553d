namespace RedisHaActors.Redis;

/// <summary>
/// One Redis server, reached with bounded timeouts. Implementations never throw for a
/// server-side or network failure from <see cref="ProbeAsync"/>; the role commands throw
/// <see cref="RedisCommandException"/> with a one-line reason.
/// </summary>
public interface IRedisNode : IAsyncDisposable
{
    /// <summary>"host:port", for logs.</summary>
    string Endpoint { get; }

    /// <summary>PING + INFO replication within <paramref name="timeout"/>.</summary>
    Task<RedisProbe> ProbeAsync(TimeSpan timeout);

    /// <summary><c>REPLICAOF NO ONE</c>: become a writable master.</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task ReplicaOfNoOneAsync(TimeSpan timeout);

    /// <summary><c>REPLICAOF host port</c>: follow <paramref name="host"/>.</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task ReplicaOfAsync(string host, int port, TimeSpan timeout);
}

/// <summary>Creates <see cref="IRedisNode"/>s for the local Redis and for peers.</summary>
public interface IRedisNodeFactory
{
    /// <summary>A node at <paramref name="host"/>:<paramref name="port"/> with this product's credentials.</summary>
    IRedisNode Create(string host, int port);
}

/// <summary>A Redis command failed (timeout, connection, or an error reply).</summary>
public sealed class RedisCommandException(string message) : Exception(message);
