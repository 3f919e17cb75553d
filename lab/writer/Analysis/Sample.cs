using System.Globalization;

namespace LabWriter.Analysis;

/// <summary>
/// One attempt of <c>labwriter sample</c>, as its line says: <c>UNIX_MS OK REPLY_UNIX_MS</c> or
/// <c>UNIX_MS ERR REASON</c>. Times are wall-clock unix milliseconds, so two samplers on one host line up.
/// Pure: no I/O. This file is compiled into labwriter and, linked, into the test project, so the
/// benches and the tests read sampler logs with the same code.
/// </summary>
/// <param name="Ms">When the attempt started (a write, if accepted, landed after it).</param>
/// <param name="Ok">Whether Redis answered +OK.</param>
/// <param name="ReplyMs">When the OK reply came (the write landed before it); null for ERR or an older sampler.</param>
public readonly record struct Sample(long Ms, bool Ok, long? ReplyMs = null)
{
    /// <summary>The sampler's default period between attempt starts, ms.</summary>
    public const int DefaultPeriodMs = 50;

    /// <summary>
    /// The sampler's default connect and reply timeout, ms; also the window assumed for an OK line
    /// without a reply time (its write landed within [start, start + this)).
    /// </summary>
    public const int DefaultReplyTimeoutMs = 40;

    /// <summary>
    /// Parses sampler lines in order. A line whose first field is not a non-negative integer or whose
    /// second is neither OK nor ERR is skipped (a torn last line, stderr mixed in); an OK line's third
    /// field is its reply time when it is such an integer.
    /// </summary>
    public static IReadOnlyList<Sample> Parse(IEnumerable<string> lines)
    {
        var samples = new List<Sample>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !TryMs(parts[0], out var ms))
            {
                continue;
            }
            if (parts[1] == "OK")
            {
                samples.Add(new Sample(ms, true, parts.Length >= 3 && TryMs(parts[2], out var reply) ? reply : null));
            }
            else if (parts[1] == "ERR")
            {
                samples.Add(new Sample(ms, false));
            }
        }
        return samples;
    }

    private static bool TryMs(string s, out long ms) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ms);
}
