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

    /// <summary>PING + INFO (replication, keyspace, server, persistence, memory) within <paramref name="timeout"/>; a Redis
    /// that answers but refuses writes passes with <see cref="RedisProbe.WriteRefusal"/> set; a failed probe whose port
    /// then refuses a TCP connection has <see cref="RedisProbe.ConnectionRefused"/> set.</summary>
    Task<RedisProbe> ProbeAsync(TimeSpan timeout);

    /// <summary>Which of <see cref="RedisPermissions.Checked"/> the server refuses (ACL <c>NOPERM</c> or renamed),
    /// each tried in a harmless form that the server rejects after its command and ACL checks, so nothing
    /// changes (never <c>CLIENT PAUSE</c> for real). Works on Redis 6.2 and 7.x and needs no ACL permission of its own.</summary>
    /// <exception cref="RedisCommandException">Timeout or connection failure (nothing known).</exception>
    Task<IReadOnlyList<RedisPermissions.Refusal>> CheckPermissionsAsync(TimeSpan timeout);

    /// <summary><c>CONFIG GET replica-read-only</c>: whether the server, as a replica, refuses client writes.
    /// With <c>no</c> a replica takes writes from clients that reach it directly, so neither a demoted nor a
    /// held (fenced) Redis refuses them.</summary>
    /// <returns>The setting; null when the server refuses CONFIG GET (ACL or renamed): unknown.</returns>
    /// <exception cref="RedisCommandException">Timeout or another error reply.</exception>
    Task<bool?> ReplicaReadOnlyAsync(TimeSpan timeout);

    /// <summary><c>CONFIG GET min-replicas-to-write</c> and <c>CONFIG GET min-replicas-max-lag</c>: the operator's own
    /// write fence (<see cref="OperatorMinReplicas"/>), read on a node without the cluster guard.</summary>
    /// <returns>The setting; null when the server refuses CONFIG GET (ACL or renamed): unknown.</returns>
    /// <exception cref="RedisCommandException">Timeout or another error reply.</exception>
    Task<OperatorMinReplicas?> MinReplicasAsync(TimeSpan timeout);

    /// <summary><c>REPLICAOF NO ONE</c>: become a writable master.</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task ReplicaOfNoOneAsync(TimeSpan timeout);

    /// <summary><c>REPLICAOF host port</c>: follow <paramref name="host"/>. With a password, first
    /// <c>CONFIG SET masterauth</c> (and <c>masteruser</c>) to the coordinator's credentials so the replica can
    /// sync, unless the server's <c>masteruser</c> (<c>CONFIG GET</c>) names another user: an operator's
    /// dedicated replication user is kept. When the server refuses
    /// CONFIG (renamed, or not in the user's ACL) REPLICAOF is still sent and the replica's masterauth is the
    /// operator's job (redis.conf).</summary>
    /// <returns>"" or, the first time CONFIG is refused on this server, one line saying masterauth was not set.</returns>
    /// <exception cref="RedisCommandException">Timeout or error reply of REPLICAOF (or of CONFIG other than a refusal).</exception>
    Task<string> ReplicaOfAsync(string host, int port, TimeSpan timeout);

    /// <summary><c>CONFIG SET min-replicas-max-lag seconds</c> then <c>CONFIG SET min-replicas-to-write count</c>
    /// (one parameter each: Redis 6.2 accepts no other form): with count 1 a
    /// master refuses writes (NOREPLICAS) once no replica has acknowledged for more than the lag, so a
    /// master cut off from its replica fences itself even when its coordinator is frozen or gone.</summary>
    /// <param name="count">0 (off) or more replicas.</param>
    /// <param name="maxLagSeconds">1 or more, whole seconds (Redis' unit).</param>
    /// <param name="timeout">Bound on the command.</param>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task SetMinReplicasAsync(int count, int maxLagSeconds, TimeSpan timeout);

    /// <summary><c>CLIENT PAUSE ms WRITE</c> (Redis 6.2+): writes block, reads go on; ends by itself after
    /// <paramref name="duration"/> even if we die.</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task PauseWritesAsync(TimeSpan duration, TimeSpan timeout);

    /// <summary><c>CLIENT UNPAUSE</c>: writes go on (an aborted hand-over).</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task ResumeWritesAsync(TimeSpan timeout);

    /// <summary><c>CLIENT UNPAUSE</c> then <c>CLIENT KILL TYPE normal</c>: paused writers retry on a
    /// replica (READONLY) and reconnect through the VIP.</summary>
    /// <exception cref="RedisCommandException">Timeout or error reply.</exception>
    Task UnpauseAndDisconnectClientsAsync(TimeSpan timeout);
}

/// <summary>Creates <see cref="IRedisNode"/>s for the local Redis and for peers.</summary>
public interface IRedisNodeFactory
{
    /// <summary>A node at <paramref name="host"/>:<paramref name="port"/> with this product's credentials.</summary>
    IRedisNode Create(string host, int port);
}

/// <summary>A Redis command failed (timeout, connection, or an error reply).</summary>
/// <param name="message">One line: the command, the server and the reason.</param>
/// <param name="refused">The server refused the command itself (ACL NOPERM, or unknown because renamed or disabled).</param>
public sealed class RedisCommandException(string message, bool refused = false) : Exception(message)
{
    /// <summary>The server refused the command itself (ACL <c>NOPERM</c>, or <c>unknown command</c> because
    /// <c>rename-command</c> renamed or disabled it): retrying cannot help until the operator grants it.</summary>
    public bool Refused { get; } = refused;
}
