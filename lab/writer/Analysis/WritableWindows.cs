namespace LabWriter.Analysis;

/// <summary>
/// When one node's Redis accepted writes, from its sampler's attempts. An OK attempt stands for
/// [start, reply + 1): its write landed in that window (without a reply time, [start, start +
/// replyTimeoutMs)). The window is cut short by the same node's next attempt, which would have seen
/// a change. Pure: no I/O. Times are unix ms; windows are half-open [Start, End).
/// </summary>
public static class WritableWindows
{
    /// <summary>
    /// The node's accepted-write windows, clipped to [fromMs, toMs), in time order and
    /// non-overlapping (windows that touch are kept apart; <see cref="DualWritable"/> merges its result).
    /// Samples are taken in time order; equal times keep their given order.
    /// </summary>
    /// <param name="samples">One node's attempts, any order.</param>
    /// <param name="fromMs">Start of the window of interest (inclusive).</param>
    /// <param name="toMs">End of the window of interest (exclusive).</param>
    /// <param name="replyTimeoutMs">Window length for an OK without a reply time, ms (&gt;= 1).</param>
    public static List<(long Start, long End)> Of(IReadOnlyList<Sample> samples, long fromMs = long.MinValue,
        long toMs = long.MaxValue, int replyTimeoutMs = Sample.DefaultReplyTimeoutMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replyTimeoutMs, 1);
        var sorted = samples.OrderBy(s => s.Ms).ToArray(); // stable: equal times keep their order
        var windows = new List<(long Start, long End)>();
        for (var i = 0; i < sorted.Length; i++)
        {
            var s = sorted[i];
            if (!s.Ok)
            {
                continue;
            }
            var end = s.ReplyMs is { } reply ? reply + 1 : s.Ms + replyTimeoutMs;
            if (i + 1 < sorted.Length)
            {
                end = Math.Min(end, sorted[i + 1].Ms);
            }
            var start = Math.Max(s.Ms, fromMs);
            end = Math.Min(end, toMs);
            if (end > start)
            {
                windows.Add((start, end));
            }
        }
        return windows;
    }
}
