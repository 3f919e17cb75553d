using System.Globalization;

namespace LabWriter.Analysis;

/// <summary>
/// How long after a fault a node began to accept writes: for the replica that should take over, the
/// figure "majority writable". The one implementation: the lab tests call it, and
/// <c>labwriter until-writable</c> (used by bench/partition.sh) prints <see cref="Report"/>. Pure: no I/O.
/// </summary>
public static class Takeover
{
    /// <summary>
    /// Seconds from <paramref name="faultMs"/> (unix ms) to the node's first OK attempt at or after
    /// the fault that follows a failed attempt or no attempt at all. A node that was already writable
    /// at the fault must first fail, then succeed again. null when that never happens (no takeover).
    /// </summary>
    public static double? SecondsUntilWritable(IReadOnlyList<Sample> samples, long faultMs)
    {
        var sorted = samples.OrderBy(s => s.Ms).ToArray();
        // Not writable before the fault: its latest attempt failed, or there was none.
        var wasNotOk = !sorted.Where(s => s.Ms < faultMs).Select(s => s.Ok).LastOrDefault(false);
        foreach (var s in sorted.Where(s => s.Ms >= faultMs))
        {
            if (!s.Ok)
            {
                wasNotOk = true;
            }
            else if (wasNotOk)
            {
                return (s.Ms - faultMs) / 1000.0;
            }
        }
        return null;
    }

    /// <summary>The bench's text: the seconds with two decimals (rounded from the binary value like C's printf), or "no takeover".</summary>
    public static string Report(IReadOnlyList<Sample> samples, long faultMs) =>
        SecondsUntilWritable(samples, faultMs) is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) : "no takeover";
}
