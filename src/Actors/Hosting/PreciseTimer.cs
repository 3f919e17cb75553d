namespace RedisHaActors.Hosting;

/// <summary>
/// A one-shot timer with millisecond precision on .NET's timer queue, independent of Akka's
/// scheduler tick (which would add up to a tick of jitter to VRRP timing). Re-arming replaces the
/// previous deadline; a late or stale firing is harmless because handlers re-check the time.
/// </summary>
public sealed class PreciseTimer : IDisposable
{
    private readonly Timer _timer;

    /// <summary>Creates a disarmed timer that calls <paramref name="onFire"/> on a pool thread.</summary>
    public PreciseTimer(Action onFire) => _timer = new Timer(_ => onFire(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>Fires once after <paramref name="due"/> (negative = at once).</summary>
    public void Arm(TimeSpan due) =>
        _timer.Change((long)Math.Ceiling(Math.Max(0, due.TotalMilliseconds)), Timeout.Infinite);

    /// <summary>Fires every <paramref name="period"/>, first after <paramref name="due"/>.</summary>
    public void ArmPeriodic(TimeSpan due, TimeSpan period) =>
        _timer.Change((long)Math.Max(0, due.TotalMilliseconds), (long)Math.Max(1, period.TotalMilliseconds));

    /// <summary>Stops firing.</summary>
    public void Disarm() => _timer.Change(Timeout.Infinite, Timeout.Infinite);

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();
}
