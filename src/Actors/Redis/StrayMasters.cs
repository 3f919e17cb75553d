namespace RedisHaActors.Redis;

/// <summary>
/// Which Redis a guarded master with quorum checks for a stray master: every data peer's Redis whose
/// coordinator is not a reachable cluster member now (dead, frozen, cut off), since that Redis may still
/// run as a master and take writes. A reachable peer's own coordinator keeps its Redis in line, and
/// touching it could race a legitimate hand-over. Pure.
/// </summary>
public static class StrayMasters
{
    /// <summary>How often a guarded master sweeps.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>Adds every data peer's Redis address to <paramref name="known"/>: a peer's Redis is remembered
    /// after its node has left the cluster, because it may still run, and come back as a master, without
    /// a coordinator.</summary>
    public static IReadOnlyDictionary<string, (string Host, int Port)> Remember(IReadOnlyDictionary<string, (string Host, int Port)> known,
        IReadOnlyList<DataPeer> peers)
    {
        var added = peers.Where(p => p.Host.Length > 0 && (!known.TryGetValue(p.Name, out var k) || k != (p.Host, p.Port))).ToArray();
        if (added.Length == 0) return known;
        var next = new Dictionary<string, (string Host, int Port)>(known, StringComparer.Ordinal);
        foreach (var p in added) next[p.Name] = (p.Host, p.Port);
        return next;
    }

    /// <summary>The Redis to check now: known peers that are not reachable members, never our own Redis.</summary>
    /// <param name="known">Remembered data peers by node name.</param>
    /// <param name="peers">The data peers now.</param>
    /// <param name="announceHost">How peers reach our Redis.</param>
    public static IReadOnlyList<(string Host, int Port)> Targets(IReadOnlyDictionary<string, (string Host, int Port)> known,
        IReadOnlyList<DataPeer> peers, string announceHost)
    {
        var reachable = peers.Where(p => p.Reachable).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return known.Where(kv => !reachable.Contains(kv.Key) && kv.Value.Host != announceHost)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Value)
            .ToArray();
    }
}
