namespace RedisHaActors.Primitives;

/// <summary>
/// At most one log line per key (a peer host, an error code) per <see cref="Every"/>, for lines that others can cause
/// over and over (refused certificates, failed handshakes, broken connections): the first is logged, its repeats within
/// the interval are not. At most <see cref="Capacity"/> keys are remembered; when that many have logged within the
/// interval, a new key is not logged either, so a flood of sources costs bounded memory and bounded log volume (callers
/// count what they refuse, not what they log). Thread-safe.
/// </summary>
/// <typeparam name="TKey">What lines are told apart by.</typeparam>
/// <param name="every">Least time between two lines of one key, more than 0.</param>
/// <param name="capacity">Keys remembered at most, at least 1.</param>
public sealed class LogGate<TKey>(TimeSpan every, int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, TimeSpan> _last = [];

    /// <summary>Least time between two lines of one key.</summary>
    public TimeSpan Every { get; } = every > TimeSpan.Zero ? every : throw new ArgumentOutOfRangeException(nameof(every), every, "more than 0");

    /// <summary>Keys remembered at most.</summary>
    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "at least 1");

    /// <summary>Whether a line for <paramref name="key"/> is due now (on the process's monotonic clock); if so, it counts as logged.</summary>
    public bool Due(TKey key) => Due(key, TimeSpan.FromMilliseconds(Environment.TickCount64));

    /// <summary>Whether a line for <paramref name="key"/> is due at <paramref name="now"/>; if so, it counts as logged then.</summary>
    /// <param name="key">What the line is about.</param>
    /// <param name="now">Monotonic time (never wall-clock time, which can jump).</param>
    public bool Due(TKey key, TimeSpan now)
    {
        lock (_last)
        {
            if (_last.TryGetValue(key, out var last))
            {
                if (now - last < Every) return false;
            }
            else if (_last.Count >= Capacity)
            {
                foreach (var expired in _last.Where(kv => now - kv.Value >= Every).Select(kv => kv.Key).ToArray()) _last.Remove(expired);
                if (_last.Count >= Capacity) return false;
            }
            _last[key] = now;
            return true;
        }
    }
}
