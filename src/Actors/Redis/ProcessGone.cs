using RedisHaActors.Primitives;

namespace RedisHaActors.Redis;

/// <summary>
/// Proof that a silent master's processes are gone, so a guarded promotion need not wait for its
/// Redis to fence itself: its Redis port and its coordinator's cluster port both refuse connections
/// (the host answers, nothing listens). A timeout on either is no proof: a cut or a vanished host
/// keeps today's wait.
/// </summary>
public static class ProcessGone
{
    /// <summary>
    /// Proof that a silent master's coordinator is gone (its cluster port refuses connections), so VRRP need
    /// not wait for the failure detector: the promotion still waits for the Redis fence unless
    /// <see cref="ProveAsync"/> also proves its Redis gone, and catches up with it when it answers.
    /// </summary>
    /// <param name="clusterHost">Its coordinator's cluster host.</param>
    /// <param name="clusterPort">Its coordinator's cluster port.</param>
    /// <param name="timeout">Bound on the connection attempt.</param>
    /// <param name="ct">Cancels the attempt.</param>
    /// <returns>The proof as a log phrase, or null.</returns>
    public static async Task<string?> CoordinatorGoneAsync(string clusterHost, int clusterPort, TimeSpan timeout, CancellationToken ct) =>
        await TcpRefusal.IsRefusedAsync(clusterHost, clusterPort, timeout, ct).ConfigureAwait(false)
            ? $"its coordinator's {clusterHost}:{clusterPort} refuses connections (the process is gone)"
            : null;

    /// <summary>The proof as a log phrase, or null when either port did not refuse.</summary>
    /// <param name="redisHost">The old master's Redis host.</param>
    /// <param name="redisPort">Its Redis port.</param>
    /// <param name="clusterHost">Its coordinator's cluster host.</param>
    /// <param name="clusterPort">Its coordinator's cluster port.</param>
    /// <param name="timeout">Bound on each connection attempt (they run together).</param>
    /// <param name="ct">Cancels the attempts.</param>
    public static async Task<string?> ProveAsync(string redisHost, int redisPort, string clusterHost, int clusterPort, TimeSpan timeout, CancellationToken ct)
    {
        var redis = TcpRefusal.IsRefusedAsync(redisHost, redisPort, timeout, ct);
        var cluster = TcpRefusal.IsRefusedAsync(clusterHost, clusterPort, timeout, ct);
        var refused = await Task.WhenAll(redis, cluster).ConfigureAwait(false);
        return refused[0] && refused[1]
            ? $"its Redis {redisHost}:{redisPort} and its coordinator's {clusterHost}:{clusterPort} refuse connections (both processes are gone)"
            : null;
    }
}
