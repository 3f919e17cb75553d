using System.Net;

namespace RedisHaActors.Cluster;

/// <summary>
/// The inbound TLS handshakes <see cref="ClusterTlsTransport"/> runs at once: at most <see cref="Total"/>, and at most
/// <see cref="PerHost"/> from one source address, so that one host holding connections open without a handshake (a
/// scanner, an attacker on the LAN) cannot take the slots the set's nodes need. A connection that finds no slot is
/// closed at once. Thread-safe; no I/O.
/// </summary>
/// <param name="total">Handshakes at most, at least 1.</param>
/// <param name="perHost">Handshakes at most from one source address, 1..<paramref name="total"/>.</param>
public sealed class HandshakeSlots(int total, int perHost)
{
    private readonly Dictionary<IPAddress, int> _byHost = [];
    private int _taken;

    /// <summary>Handshakes at most.</summary>
    public int Total { get; } = total >= 1 ? total : throw new ArgumentOutOfRangeException(nameof(total), total, "at least 1");

    /// <summary>Handshakes at most from one source address.</summary>
    public int PerHost { get; } = perHost >= 1 && perHost <= total ? perHost : throw new ArgumentOutOfRangeException(nameof(perHost), perHost, $"1..{total}");

    /// <summary>Takes a slot for a handshake from <paramref name="source"/>: null when taken, else why not (then nothing is taken).</summary>
    /// <param name="source">The connection's source address (an IPv4-mapped IPv6 address counts as its IPv4 address).</param>
    public string? TryTake(IPAddress source)
    {
        var host = HostOf(source);
        lock (_byHost)
        {
            if (_taken >= Total) return $"more than {Total} handshakes in progress";
            var fromHost = _byHost.GetValueOrDefault(host);
            if (fromHost >= PerHost) return $"more than {PerHost} handshakes in progress from {host}";
            _byHost[host] = fromHost + 1;
            _taken++;
            return null;
        }
    }

    /// <summary>Gives back a slot that <see cref="TryTake"/> took for <paramref name="source"/> (its handshake ended).</summary>
    public void Release(IPAddress source)
    {
        var host = HostOf(source);
        lock (_byHost)
        {
            if (!_byHost.TryGetValue(host, out var fromHost)) return;
            if (fromHost <= 1) _byHost.Remove(host);
            else _byHost[host] = fromHost - 1;
            _taken--;
        }
    }

    private static IPAddress HostOf(IPAddress source) => source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
}
