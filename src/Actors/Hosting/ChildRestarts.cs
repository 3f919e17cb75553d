namespace RedisHaActors.Hosting;

/// <summary>
/// When to re-create a failed child of the node supervisor, and when to give up. Pure and immutable.
/// The first failure in a window is restarted at once (the node is back to full function within one
/// check interval); repeated failures back off exponentially, so a child that fails on every start
/// (a device gone, a Redis that crashes the client) does not spin; more than
/// <see cref="MaxFailures"/> within <see cref="Window"/> and the node exits, so the service manager
/// restarts it from scratch.
/// </summary>
/// <param name="Window">Failures counted together.</param>
/// <param name="MaxFailures">More failures than this within <see cref="Window"/> and the node gives up.</param>
/// <param name="BaseDelay">The delay before the second restart in a window; it doubles with each failure after that.</param>
/// <param name="MaxDelay">The longest delay between a failure and the restart.</param>
public sealed record ChildRestarts(TimeSpan Window, int MaxFailures, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>The node's policy: up to 10 failures a minute, restarted after 0, 0.2, 0.4, ... s, at most 10 s (the 11th exits).</summary>
    public static ChildRestarts Default { get; } = new(TimeSpan.FromMinutes(1), 10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));

    /// <summary>Records a failure at <paramref name="now"/> after the earlier <paramref name="failures"/>.</summary>
    /// <param name="failures">Monotonic times of earlier failures, oldest first.</param>
    /// <param name="now">Monotonic now.</param>
    /// <returns>The failures still inside the window (this one included) and the delay before
    /// re-creating the child; a null delay means give up.</returns>
    public (IReadOnlyList<TimeSpan> Failures, TimeSpan? Delay) Failed(IReadOnlyList<TimeSpan> failures, TimeSpan now)
    {
        var recent = failures.Where(t => now - t < Window).Append(now).ToArray();
        if (recent.Length > MaxFailures) return (recent, null);
        if (recent.Length == 1) return (recent, TimeSpan.Zero);
        var delay = BaseDelay * Math.Pow(2, recent.Length - 2);
        return (recent, delay < MaxDelay ? delay : MaxDelay);
    }
}
