namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Samples one lab Redis's DBSIZE in the background (bounded: at most 2,000 samples), so a test
/// can assert that a replica's key count never dropped, not only that it ended right. An answer
/// that is not a number (LOADING during a full resync, a refused connection) counts as a drop.
/// </summary>
public sealed class KeyCountWatch : IDisposable
{
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _drops = [];
    private long _min = long.MaxValue;

    /// <summary>Starts sampling node's DBSIZE every 50 ms; a count below <paramref name="floor"/> is a drop.</summary>
    public KeyCountWatch(NamespaceLab lab, int node, long floor)
    {
        _thread = new Thread(() =>
        {
            for (var i = 0; i < 2_000 && !_stop.IsCancellationRequested; i++)
            {
                string reply;
                try
                {
                    reply = lab.RedisCli(node, "dbsize").Trim();
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    reply = e.Message;
                }
                Samples++;
                var count = long.TryParse(reply, out var n) ? n : -1;
                lock (_drops)
                {
                    _min = Math.Min(_min, count);
                    if (count < floor) _drops.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {reply}");
                }
                _stop.Token.WaitHandle.WaitOne(50);
            }
        }) { IsBackground = true };
        _thread.Start();
    }

    /// <summary>Number of DBSIZE samples taken so far.</summary>
    public int Samples { get; private set; }

    /// <summary>Samples below the floor, with their time and answer.</summary>
    public IReadOnlyList<string> Drops
    {
        get { lock (_drops) return _drops.ToArray(); }
    }

    /// <summary>The lowest key count seen (-1 when an answer was not a number; long.MaxValue before the first sample).</summary>
    public long Min
    {
        get { lock (_drops) return _min; }
    }

    /// <summary>Stops sampling (waits up to 10 s for the sampling thread).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
