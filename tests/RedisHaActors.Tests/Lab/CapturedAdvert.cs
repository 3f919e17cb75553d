using System.Globalization;
using System.Text.RegularExpressions;

namespace RedisHaActors.Tests.Lab;

/// <summary>One VRRP advert as tcpdump printed it. <see cref="Auth"/> is VRRPv2's authtype (none, simple, ah) or null.</summary>
/// <param name="Time">Capture time, unix seconds (tcpdump -tt).</param>
/// <param name="Source">Sender's IPv4 address.</param>
/// <param name="Destination">Destination IPv4 address (224.0.0.18 for multicast adverts).</param>
/// <param name="Version">VRRP version, 2 or 3.</param>
/// <param name="Vrid">Virtual router id, 1..255.</param>
/// <param name="Priority">Advertised priority, 0..255.</param>
/// <param name="Auth">VRRPv2 authtype, or null.</param>
/// <param name="Interval">The interval as tcpdump prints it ("20cs" for v3, "1s" for v2).</param>
/// <param name="Line">The whole tcpdump line.</param>
public sealed partial record CapturedAdvert(double Time, string Source, string Destination, int Version, int Vrid, int Priority, string? Auth,
    string Interval, string Line)
{
    /// <summary>
    /// The adverts in tcpdump's output (<c>tcpdump -nn -tt -l</c>), in order; other lines (the
    /// "listening on" banner, other packets, a torn last line) are skipped. Pure.
    /// </summary>
    public static IReadOnlyList<CapturedAdvert> Parse(string tcpdumpOutput)
    {
        var adverts = new List<CapturedAdvert>();
        foreach (var line in tcpdumpOutput.Split('\n'))
        {
            var m = AdvertLine().Match(line);
            if (!m.Success) continue;
            adverts.Add(new CapturedAdvert(
                double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture),
                m.Groups["src"].Value,
                m.Groups["dst"].Value,
                int.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["vrid"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["prio"].Value, CultureInfo.InvariantCulture),
                m.Groups["auth"].Success ? m.Groups["auth"].Value : null,
                m.Groups["intvl"].Value,
                line.Trim()));
        }
        return adverts;
    }

    // 1764486817.123456 IP 192.0.2.1 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 200, intvl 20cs, length 12
    // 1764486817.123456 IP 192.0.2.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s, length 20
    [GeneratedRegex(@"^(?<t>\d+\.\d+) IP (?<src>[\d.]+) > (?<dst>[\d.]+): VRRPv(?<v>\d), Advertisement, vrid (?<vrid>\d+), prio (?<prio>\d+), (?:authtype (?<auth>\w+), )?intvl (?<intvl>\w+)")]
    private static partial Regex AdvertLine();
}
