using System.Globalization;

namespace LabWriter.Analysis;

/// <summary>
/// The keys labwriter's probes write: <c>PREFIX:n</c>, n from 1 (the write mode's sequence number,
/// the sample mode's attempt, one log line per attempt), and the loss count they allow: an attempt
/// Redis acknowledged whose key is missing on the final master. Pure: no I/O.
/// </summary>
public static class ProbeKeys
{
    /// <summary>The key of attempt <paramref name="attempt"/> (1-based) (or write sequence number) of a probe with <paramref name="prefix"/>.</summary>
    public static string Key(string prefix, long attempt) => $"{prefix}:{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A sampler's attempt numbers (1-based, in log order) whose write Redis acknowledged.</summary>
    public static IReadOnlyList<long> AcceptedAttempts(IReadOnlyList<Sample> samples) =>
        samples.Select((s, i) => (s.Ok, N: i + 1L)).Where(x => x.Ok).Select(x => x.N).ToArray();

    /// <summary>Acknowledged attempts whose key is not among <paramref name="presentKeys"/> (lost writes), ascending.</summary>
    public static IReadOnlyList<long> Missing(IReadOnlyList<Sample> samples, string prefix, IEnumerable<string> presentKeys)
    {
        var present = presentKeys.ToHashSet(StringComparer.Ordinal);
        return AcceptedAttempts(samples).Where(n => !present.Contains(Key(prefix, n))).ToArray();
    }
}
