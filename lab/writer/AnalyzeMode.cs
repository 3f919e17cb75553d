using LabWriter.Analysis;

namespace LabWriter;

/// <summary>
/// The sampler-log figures for scripts (bench/partition.sh): read the logs <c>labwriter sample</c>
/// wrote, run the same analysis the lab tests use (<see cref="Analysis.DualWritable"/>,
/// <see cref="Takeover"/>) and print its text. Only file I/O here.
/// </summary>
internal static class AnalyzeMode
{
    /// <summary>
    /// <c>dual-writable SAMPLES1 SAMPLES2 --from-ms A --to-ms B [--reply-timeout-ms 40] [--intervals FILE]</c>:
    /// prints the seconds with two writable masters in [A, B) (three decimals); FILE, when given, is
    /// rewritten with one "START END" line per stretch (ms after A).
    /// </summary>
    public static int DualWritable(Options o)
    {
        var files = o.Positionals("SAMPLES1", "SAMPLES2");
        var from = o.Long("--from-ms");
        var to = o.Long("--to-ms");
        var replyTimeout = o.Int("--reply-timeout-ms", Sample.DefaultReplyTimeoutMs, 1, 60_000);
        var intervalsFile = o.Str("--intervals");
        o.RejectUnknown();
        var (seconds, stretches) = Analysis.DualWritable.Report(Read(files[0]), Read(files[1]), from, to, replyTimeout);
        if (intervalsFile is not null)
        {
            File.WriteAllText(intervalsFile, stretches);
        }
        Console.Out.WriteLine(seconds);
        return 0;
    }

    /// <summary><c>until-writable SAMPLES --fault-ms F</c>: prints <see cref="Takeover.Report"/>.</summary>
    public static int UntilWritable(Options o)
    {
        var file = o.Positionals("SAMPLES")[0];
        var fault = o.Long("--fault-ms");
        o.RejectUnknown();
        Console.Out.WriteLine(Takeover.Report(Read(file), fault));
        return 0;
    }

    private static IReadOnlyList<Sample> Read(string path) => Sample.Parse(File.ReadLines(path));
}
