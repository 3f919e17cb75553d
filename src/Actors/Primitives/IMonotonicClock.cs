using System.Diagnostics;

namespace RedisHaActors.Primitives;

/// <summary>Monotonic time for the pure cores (never wall-clock time, which can jump).</summary>
public interface IMonotonicClock
{
    /// <summary>Time since an arbitrary fixed origin.</summary>
    TimeSpan Now { get; }
}

/// <summary><see cref="IMonotonicClock"/> on <see cref="Stopwatch"/>.</summary>
public sealed class StopwatchClock : IMonotonicClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public TimeSpan Now => Stopwatch.GetElapsedTime(_origin);
}
