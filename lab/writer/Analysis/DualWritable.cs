using System.Globalization;
using System.Text;

namespace LabWriter.Analysis;

/// <summary>
/// "Two writable masters": the moments at which both data nodes' Redis may have accepted a write,
/// i.e. the overlaps of their samplers' <see cref="WritableWindows"/>. The one implementation of
/// this figure: the lab tests call it, and <c>labwriter dual-writable</c> (used by
/// bench/partition.sh) prints <see cref="Report"/>. Pure: no I/O. Times are unix ms.
/// </summary>
public static class DualWritable
{
    /// <summary>
    /// Overlaps of the two nodes' accepted-write windows within [fromMs, toMs), in time order,
    /// touching or overlapping stretches merged. Empty when there never were two writable masters.
    /// </summary>
    /// <param name="a">One node's sampler attempts.</param>
    /// <param name="b">The other node's sampler attempts.</param>
    /// <param name="fromMs">Start of the window of interest (inclusive), e.g. the fault's start.</param>
    /// <param name="toMs">End of the window of interest (exclusive).</param>
    /// <param name="replyTimeoutMs">Window of an OK without a reply time, ms (the sampler's reply timeout).</param>
    public static List<(long Start, long End)> Intervals(IReadOnlyList<Sample> a, IReadOnlyList<Sample> b,
        long fromMs = long.MinValue, long toMs = long.MaxValue, int replyTimeoutMs = Sample.DefaultReplyTimeoutMs)
    {
        var x = WritableWindows.Of(a, fromMs, toMs, replyTimeoutMs);
        var y = WritableWindows.Of(b, fromMs, toMs, replyTimeoutMs);
        var both = new List<(long Start, long End)>();
        int i = 0, j = 0;
        while (i < x.Count && j < y.Count)
        {
            var start = Math.Max(x[i].Start, y[j].Start);
            var end = Math.Min(x[i].End, y[j].End);
            if (end > start)
            {
                if (both.Count > 0 && both[^1].End >= start)
                {
                    both[^1] = (both[^1].Start, Math.Max(both[^1].End, end));
                }
                else
                {
                    both.Add((start, end));
                }
            }
            if (x[i].End < y[j].End)
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return both;
    }

    /// <summary>Total milliseconds with two writable masters (the summed <see cref="Intervals"/>).</summary>
    public static long TotalMs(IReadOnlyList<Sample> a, IReadOnlyList<Sample> b, long fromMs = long.MinValue,
        long toMs = long.MaxValue, int replyTimeoutMs = Sample.DefaultReplyTimeoutMs) =>
        Intervals(a, b, fromMs, toMs, replyTimeoutMs).Sum(iv => iv.End - iv.Start);

    /// <summary>Total seconds with two writable masters (the summed <see cref="Intervals"/>).</summary>
    public static double Seconds(IReadOnlyList<Sample> a, IReadOnlyList<Sample> b, long fromMs = long.MinValue,
        long toMs = long.MaxValue, int replyTimeoutMs = Sample.DefaultReplyTimeoutMs) =>
        TotalMs(a, b, fromMs, toMs, replyTimeoutMs) / 1000.0;

    /// <summary>
    /// The bench's figure as text: <c>Seconds</c> is the total with three decimals ("0.000" when there
    /// were never two writable masters); <c>Stretches</c> holds one "START END" line per merged stretch,
    /// in ms relative to <paramref name="fromMs"/> (empty when there is none).
    /// </summary>
    public static (string Seconds, string Stretches) Report(IReadOnlyList<Sample> a, IReadOnlyList<Sample> b,
        long fromMs, long toMs, int replyTimeoutMs = Sample.DefaultReplyTimeoutMs)
    {
        var intervals = Intervals(a, b, fromMs, toMs, replyTimeoutMs);
        var total = intervals.Sum(iv => iv.End - iv.Start);
        var stretches = new StringBuilder();
        foreach (var (start, end) in intervals)
        {
            stretches.Append(CultureInfo.InvariantCulture, $"{start - fromMs} {end - fromMs}\n");
        }
        // Integer arithmetic: exactly three decimals, no binary rounding.
        return (string.Create(CultureInfo.InvariantCulture, $"{total / 1000}.{total % 1000:000}"), stretches.ToString());
    }
}
