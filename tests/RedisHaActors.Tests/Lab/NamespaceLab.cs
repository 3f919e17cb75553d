using System.Diagnostics;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// A namespace lab for one test (lab/lab.sh): unique prefix, real redis-server, real redis-ha
/// nodes and (for interop tests) Debian's keepalived inside node namespaces, optionally a
/// tcpdump of the VRRP traffic. Dispose removes every process, namespace and file it made, even
/// when the test failed. Needs root; CI runs as root.
/// <para>
/// One class, one file per concern: the network (NamespaceLab.Network.cs), child processes
/// (.Processes.cs), Redis (.Redis.cs), our nodes (.Nodes.cs), keepalived (.Keepalived.cs), the
/// capture (.Capture.cs), faults (.Faults.cs) and samplers (.Samplers.cs). The pure parts are
/// their own classes: <see cref="LabConfig"/> writes the config texts, <see cref="CapturedAdvert"/>
/// parses the capture, and LabWriter.Analysis (lab/writer/Analysis, shared with the benches)
/// analyses sampler logs.
/// </para>
/// </summary>
public sealed partial class NamespaceLab : IDisposable
{
    private readonly int _size;
    private readonly ITestOutputHelper? _output;

    /// <summary>
    /// Makes a lab of <paramref name="nodes"/> node namespaces (1..99), a switch and a client; needs root.
    /// When <paramref name="output"/> is given, Dispose writes every node's log to it, so a failed
    /// assertion leaves the logs that explain it.
    /// </summary>
    public NamespaceLab(int nodes = 2, ITestOutputHelper? output = null)
    {
        _output = output;
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("SUDO_USER") is null && !IsRoot())
            throw new InvalidOperationException("the namespace lab needs root (CI runs as root); run ./test.sh as root");
        _size = nodes;
        Prefix = "rh" + Guid.NewGuid().ToString("N")[..6];
        OutDir = Directory.CreateTempSubdirectory("redis-ha-lab-").FullName;
        try
        {
            Lab("lab_up", Prefix, nodes.ToString());
            // Which Redis ran (LAB_REDIS_BIN picks another build): a result is that version's.
            _output?.WriteLine($"lab {Prefix}: {LabBinaries.RedisVersion}");
        }
        catch
        {
            // The constructor failing means Dispose never runs: clean up here.
            Dispose();
            throw;
        }
    }

    /// <summary>The lab's name prefix: namespaces PREFIXn1.., PREFIXc, PREFIXsw; switch ports PREFIXp1...</summary>
    public string Prefix { get; }

    /// <summary>The lab's scratch directory (configs, Redis dirs, pid files); removed on dispose.</summary>
    public string OutDir { get; }

    /// <summary>The repository root (the directory holding RedisHaActors.sln).</summary>
    public static string RepoRoot => LabBinaries.RepoRoot;

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Split('\n')
        .FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    /// <summary>How many times <paramref name="what"/> occurs in <paramref name="text"/> (a log), ordinal, not overlapping.</summary>
    public static int Occurrences(string text, string what) => what.Length == 0 ? 0 : (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    /// <summary>Polls <paramref name="condition"/> every 100 ms until true or the limit; bounded in count and time.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan limit, string what)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 10_000 && sw.Elapsed < limit; i++)
        {
            if (condition()) return;
            Thread.Sleep(100);
        }
        if (condition()) return;
        throw new TimeoutException($"not reached within {limit.TotalSeconds} s: {what}\n{AllLogs()}");
    }

    /// <summary>Undoes the faults, stops every process the lab started, removes the namespaces and OutDir. Never throws.</summary>
    public void Dispose()
    {
        WriteLogs();
        // Thaw frozen nodes and lift blocks first, so the nodes below can be killed and the lab torn down.
        UndoFaults();
        DisposeSamplers();
        StopCapture();
        DisposeKeepalived();
        DisposeNodes();
        try { Lab("lab_down", Prefix); } catch (Exception) { /* best effort; lab_down is idempotent */ }
        try { Directory.Delete(OutDir, recursive: true); } catch (IOException) { }
    }

    private void WriteLogs()
    {
        if (_output is null) return;
        try { _output.WriteLine(AllLogs()); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { /* the test is over or its files are gone */ }
    }
}
