using System.Globalization;

namespace RedisHaActors.Redis;

/// <summary>
/// One replica as its master lists it in <c>INFO replication</c>:
/// <c>slaveN:ip=192.0.2.2,port=6379,state=online,offset=1234,lag=0</c>.
/// </summary>
/// <param name="Ip">The replica's address as the master sees it (or its <c>replica-announce-ip</c>).</param>
/// <param name="Port">The replica's listening port (or its <c>replica-announce-port</c>).</param>
/// <param name="Online"><c>state=online</c>: synced, counted by <c>min-replicas-to-write</c> while its lag is small.</param>
/// <param name="Offset">Bytes of the stream it acknowledged.</param>
/// <param name="LagSeconds">Whole seconds since its last acknowledgement (<c>REPLCONF ACK</c>, sent once a second).</param>
public sealed record ReplicaLink(string Ip, int Port, bool Online, long Offset, int LagSeconds)
{
    /// <summary>Parses the value of a <c>slaveN:</c> line; null when it has no ip or port.</summary>
    public static ReplicaLink? Parse(string value)
    {
        var parts = value.Split(',')
            .Select(p => p.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("ip", out var ip) || ip.Length == 0
            || !parts.TryGetValue("port", out var p) || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            return null;
        long Long(string k) => parts.TryGetValue(k, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new ReplicaLink(ip, port, parts.GetValueOrDefault("state") == "online", Long("offset"), (int)Math.Clamp(Long("lag"), 0, int.MaxValue));
    }
}
