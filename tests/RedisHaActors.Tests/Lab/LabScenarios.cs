namespace RedisHaActors.Tests.Lab;

/// <summary>Multi-step lab procedures more than one test class runs, with their asserts.</summary>
public static class LabScenarios
{
    /// <summary>
    /// Kills n1's master Redis and starts it again at once (empty, no persistence: a master again,
    /// faster than the check's fall window) while n2's replica holds <paramref name="keys"/> keys;
    /// waits for n2 to be promoted and n1 to resync from it, and asserts that n2's key count never
    /// dropped meanwhile. The kill waits until n1's coordinator has seen the keys (a check after the
    /// last write): a Redis whose keys no check saw cannot be told from one that was empty.
    /// <paramref name="redisArgs"/> are the restarted Redis's arguments (as it was booted).
    /// </summary>
    public static void RestartMasterRedisEmpty(NamespaceLab lab, int keys, TimeSpan limit, params string[] redisArgs)
    {
        lab.WaitUntil(() => KeysSeen(lab, 1) == keys, limit, $"n1's coordinator has seen its Redis's {keys} keys");
        using var watch = new KeyCountWatch(lab, 2, floor: keys);
        lab.KillRedis(1);
        lab.StartRedis(1, redisArgs);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([2]) && lab.Role(2) == "master", limit, "n2 (with the data) promoted");
        var count = keys.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lab.WaitUntil(() => lab.Role(1) == "slave" && lab.MasterHostOf(1) == "192.0.2.2" && lab.RedisCli(1, "dbsize").Trim() == count,
            limit, "n1's Redis resynced from n2");
        Thread.Sleep(1500); // a replication retry or two after the end state
        Xunit.Assert.True(watch.Drops.Count == 0, $"n2's key count dropped: {string.Join(", ", watch.Drops)}\n{lab.AllLogs()}");
        Xunit.Assert.True(watch.Samples > 5, $"only {watch.Samples} samples of n2's key count");
    }

    /// <summary>The key count of node's Redis as its coordinator's last check saw it (status <c>redis.facts.keys</c>); -1 unknown.</summary>
    public static long KeysSeen(NamespaceLab lab, int node)
    {
        try
        {
            using var status = System.Text.Json.JsonDocument.Parse(lab.Curl(node, "-s", "http://127.0.0.1:9680/status"));
            return status.RootElement.GetProperty("redis").GetProperty("facts").GetProperty("keys").GetInt64();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return -1;
        }
    }
}
