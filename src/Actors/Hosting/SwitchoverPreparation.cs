using RedisHaActors.Redis;

namespace RedisHaActors.Hosting;

/// <summary>
/// The master's half of a planned switchover: <c>CLIENT PAUSE WRITE</c> on the local Redis (it
/// ends by itself if this node dies), then wait, bounded by sync-timeout, until the target's
/// replica has the master's final <c>master_repl_offset</c>. On timeout writes resume and nothing
/// changes: a planned switchover aborts rather than lose a write.
/// </summary>
internal static class SwitchoverPreparation
{
    /// <summary>The outcome.</summary>
    /// <param name="Ready">The target has every byte; writes stay paused for the hand-over.</param>
    /// <param name="Message">For the log and the operator.</param>
    public sealed record Outcome(bool Ready, string Message);

    /// <summary>Pauses local writes and waits for the target's replica; on timeout writes resume.</summary>
    /// <param name="local">The local Redis, a master.</param>
    /// <param name="peers">Connects to the target's Redis.</param>
    /// <param name="targetHost">How the target's Redis is reached.</param>
    /// <param name="targetPort">Its port.</param>
    /// <param name="syncTimeout">Longest wait for the catch-up.</param>
    /// <param name="pauseLimit">The write pause ends by itself after this (<see cref="Configuration.RedisSettings.HandoverLimit"/>).</param>
    /// <param name="commandTimeout">Bound on each command.</param>
    public static async Task<Outcome> RunAsync(IRedisNode local, IRedisNodeFactory peers, string targetHost, int targetPort,
        TimeSpan syncTimeout, TimeSpan pauseLimit, TimeSpan commandTimeout)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await local.PauseWritesAsync(pauseLimit, commandTimeout).ConfigureAwait(false);
        var own = await local.ProbeAsync(commandTimeout).ConfigureAwait(false);
        if (own.Facts is not { Role: RedisRole.Master } facts)
        {
            await local.ResumeWritesAsync(commandTimeout).ConfigureAwait(false);
            return new Outcome(false, $"aborted: the local Redis is not a master ({own.Error}); writes resumed");
        }
        var target = facts.MasterReplOffset;
        await using var peer = peers.Create(targetHost, targetPort);
        long reached = -1;
        for (var attempt = 0; attempt < 100_000 && started.Elapsed < syncTimeout; attempt++)
        {
            var probe = await peer.ProbeAsync(commandTimeout).ConfigureAwait(false);
            if (probe.Facts is { } f) reached = f.Offset;
            if (reached >= target)
                return new Outcome(true, $"its replica reached offset {target} in {started.ElapsedMilliseconds} ms");
            await Task.Delay(10).ConfigureAwait(false);
        }
        await local.ResumeWritesAsync(commandTimeout).ConfigureAwait(false);
        return new Outcome(false, $"aborted: {targetHost}:{targetPort} reached offset {reached} of {target} within sync-timeout " +
                                  $"{syncTimeout.TotalSeconds:0.#} s; writes resumed, nothing changed");
    }
}
