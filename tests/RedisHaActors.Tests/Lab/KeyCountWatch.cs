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

    /// <summary>
    /// Kills n1's master Redis and starts it again at once (empty, no persistence: a master again,
    /// faster than the check's fall window) while n2's replica holds <paramref name="keys"/> keys;
    /// waits for n2 to be promoted and n1 to resync from it, and asserts that n2's key count never
    /// dropped meanwhile.
    /// </summary>
    public static void RestartMasterRedisEmpty(NamespaceLab lab, int keys, TimeSpan limit)
    {
        using var watch = new KeyCountWatch(lab, 2, floor: keys);
        lab.KillRedis(1);
        lab.StartRedis(1);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", limit, "n2 (with the data) promoted");
        var count = keys.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2" && lab.RedisCli(1, "dbsize").Trim() == count,
            limit, "n1's Redis resynced from n2");
        Thread.Sleep(1500); // a replication retry or two after the end state
        Xunit.Assert.True(watch.Drops.Count == 0, $"n2's key count dropped: {string.Join(", ", watch.Drops)}\n{lab.AllLogs()}");
        Xunit.Assert.True(watch.Samples > 5, $"only {watch.Samples} samples of n2's key count");
    }

    public int Samples { get; private set; }

    /// <summary>Samples below the floor, with their time and answer.</summary>
    public IReadOnlyList<string> Drops
    {
        get { lock (_drops) return _drops.ToArray(); }
    }

    public long Min
    {
        get { lock (_drops) return _min; }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
