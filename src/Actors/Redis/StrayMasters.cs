namespace RedisHaActors.Redis;

/// <summary>A data peer's Redis remembered for the stray-master sweep.</summary>
/// <param name="Host">How that peer's Redis is reached (its gossiped announce host).</param>
/// <param name="Port">Its Redis port.</param>
/// <param name="LastMemberAt">Monotonic time it was last a cluster member with a gossiped state.</param>
public sealed record KnownRedis(string Host, int Port, TimeSpan LastMemberAt);

/// <summary>
/// Which Redis a guarded master checks for a stray master: every known data peer's Redis whose
/// coordinator is not a reachable cluster member now (dead, frozen, cut off), since that Redis may still
/// run as a master and take writes. A reachable peer's own coordinator keeps its Redis in line, and
/// touching it could race a legitimate hand-over. Only peers the cluster gossiped (authenticated members)
/// are known, and a peer that has not been a member for <see cref="ForgetAfter"/> has left for good: it
/// is forgotten, so no credentials go to its address any more. Pure.
/// </summary>
public static class StrayMasters
{
    /// <summary>How often a guarded master sweeps.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a peer that is no longer a cluster member is still swept: 10 minutes. Its Redis was
    /// fenced (or found a replica) by the first sweeps after its coordinator went; a Redis that restarts
    /// later without its coordinator starts read-only (redis.conf's <c>replicaof 127.0.0.1 1</c>, see the
    /// README), and a coordinator that comes back rejoins and is remembered again.
    /// </summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    /// <summary>At most this many peers are remembered (the longest absent are forgotten first), whatever the gossip says.</summary>
    public const int MaxKnown = 16;

    /// <summary>Remembers every data peer's Redis address (<paramref name="peers"/> are the current members),
    /// refreshing when each was last a member, and forgets those absent for <see cref="ForgetAfter"/> or
    /// beyond <see cref="MaxKnown"/>. A peer's Redis outlives its node's membership for a while, because it
    /// may still run, and come back as a master, without a coordinator.</summary>
    /// <param name="known">Remembered data peers by node name.</param>
    /// <param name="peers">The data peers now (members with a gossiped state, reachable or not).</param>
    /// <param name="now">Monotonic now.</param>
    public static IReadOnlyDictionary<string, KnownRedis> Remember(IReadOnlyDictionary<string, KnownRedis> known,
        IReadOnlyList<DataPeer> peers, TimeSpan now)
    {
        var next = new Dictionary<string, KnownRedis>(known, StringComparer.Ordinal);
        foreach (var p in peers.Where(p => p.Host.Length > 0))
            next[p.Name] = new KnownRedis(p.Host, p.Port, now);
        foreach (var gone in next.Where(kv => now - kv.Value.LastMemberAt >= ForgetAfter).Select(kv => kv.Key).ToArray())
            next.Remove(gone);
        foreach (var extra in next.OrderBy(kv => kv.Value.LastMemberAt).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                     .Take(Math.Max(0, next.Count - MaxKnown)).Select(kv => kv.Key).ToArray())
            next.Remove(extra);
        return next;
    }

    /// <summary>The Redis to check now: known peers that are not reachable members, never our own Redis.</summary>
    /// <param name="known">Remembered data peers by node name.</param>
    /// <param name="peers">The data peers now.</param>
    /// <param name="announceHost">How peers reach our Redis.</param>
    public static IReadOnlyList<(string Host, int Port)> Targets(IReadOnlyDictionary<string, KnownRedis> known,
        IReadOnlyList<DataPeer> peers, string announceHost)
    {
        var reachable = peers.Where(p => p.Reachable).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return known.Where(kv => !reachable.Contains(kv.Key) && kv.Value.Host != announceHost)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Value.Host, kv.Value.Port))
            .ToArray();
    }
}
