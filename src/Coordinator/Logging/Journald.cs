namespace RedisHaActors.Coordinator.Logging;

/// <summary>Whether stdout is connected to the systemd journal (systemd.exec(5), <c>$JOURNAL_STREAM</c>).</summary>
internal static class Journald
{
    /// <summary>
    /// True when <c>$JOURNAL_STREAM</c> (<c>DEVICE:INODE</c>, set by systemd for a service whose
    /// output goes to the journal) names stdout. The variable is inherited by children whose output
    /// goes elsewhere, hence the comparison with stdout's inode (<c>/proc/self/fd/1</c> reads
    /// <c>socket:[INODE]</c>).
    /// </summary>
    public static bool StdoutIsJournal()
    {
        var stream = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(stream) || stream.Split(':') is not [_, var inode]) return false;
        try
        {
            var target = new FileInfo("/proc/self/fd/1").LinkTarget;
            return target is not null && target.EndsWith($":[{inode}]", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
