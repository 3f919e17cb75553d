using System.Net;

namespace RedisHaActors.Redis;

/// <summary>
/// How often a backup asks the master's Redis for its facts. Until it follows that master it asks on
/// every check, so a hand-over is not delayed (and the connection is warm for a promotion); once
/// following, the master's offset is only needed for the loss estimate, so about once a second. Pure.
/// </summary>
public static class MasterObservation
{
    /// <summary>Checks between two observations of a master already followed: about one a second.</summary>
    /// <param name="checkInterval">redis-ha.redis.check.interval.</param>
    public static int Every(TimeSpan checkInterval) => Math.Max(1, (int)(TimeSpan.FromSeconds(1) / checkInterval));

    /// <summary>Whether to ask now; <paramref name="skipped"/> counts checks since the last observation.</summary>
    /// <param name="master">The master followed.</param>
    /// <param name="local">The local Redis' facts.</param>
    /// <param name="masterFacts">The master's Redis as last seen.</param>
    /// <param name="skipped">Checks skipped since the last observation.</param>
    /// <param name="every">From <see cref="Every"/>.</param>
    public static bool Due(IPAddress master, ReplicationFacts? local, ReplicationFacts? masterFacts, int skipped, int every)
    {
        var following = local is { Role: RedisRole.Replica } f && f.MasterHost == master.ToString() && masterFacts is { Role: RedisRole.Master };
        return !following || skipped + 1 >= every;
    }
}
