using System.Net;

namespace RedisHaActors.Primitives;

/// <summary>Orders addresses as unsigned numbers of their bytes (IPv4 before IPv6): RFC 5798 §6.4.3's
/// tie-break between equal priorities, and the cluster's "lowest live voter forms" rule.</summary>
public sealed class Ipv4Order : IComparer<IPAddress>
{
    /// <summary>The single instance.</summary>
    public static Ipv4Order Instance { get; } = new();

    /// <summary>Negative when <paramref name="a"/> is the lower address, 0 when equal, positive when higher.</summary>
    public static int Compare(IPAddress a, IPAddress b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, out var lx);
        b.TryWriteBytes(y, out var ly);
        return lx != ly ? lx.CompareTo(ly) : x[..lx].SequenceCompareTo(y[..ly]);
    }

    /// <inheritdoc />
    int IComparer<IPAddress>.Compare(IPAddress? x, IPAddress? y) =>
        ReferenceEquals(x, y) ? 0 : x is null ? -1 : y is null ? 1 : Compare(x, y);
}
