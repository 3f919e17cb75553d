using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// <c>labwriter write</c> in the client namespace: one SET every 10 ms through the VIP on a kept
/// connection (200 ms connect and reply timeouts, reconnecting), each acked sequence number in a
/// file; <see cref="Verify"/> checks every acked key on one node's Redis afterwards. The process
/// is killed on dispose if it still runs.
/// </summary>
public sealed class VipWriter : IDisposable
{
    private readonly NamespaceLab _lab;
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _acked;
    private readonly string _prefix;

    private VipWriter(NamespaceLab lab, string prefix)
    {
        _lab = lab;
        _prefix = prefix;
        _acked = Path.Combine(lab.OutDir, $"acked-{prefix}.txt");
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", $"{lab.Prefix}c", "dotnet", LabBinaries.WriterDll(), "write",
                     "--host", LabConfig.Vip, "--port", "6379", "--duration-ms", "300000", "--interval-ms", "10",
                     "--acked", _acked, "--prefix", prefix, "--verbose"])
            psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts the writer and waits (10 s at most) for its first ack.</summary>
    public static VipWriter Start(NamespaceLab lab, string prefix = "w")
    {
        var writer = new VipWriter(lab, prefix);
        lab.WaitUntil(() => writer.Acked > 0 || writer._process.HasExited, TimeSpan.FromSeconds(10), "the writer's first ack");
        if (writer._process.HasExited) throw new InvalidOperationException("labwriter exited: " + writer.ErrorText);
        return writer;
    }

    /// <summary>Acks so far (lines in the acked file).</summary>
    public int Acked
    {
        get
        {
            if (!File.Exists(_acked)) return 0;
            using var reader = new StreamReader(new FileStream(_acked, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var n = 0;
            while (reader.ReadLine() is not null) n++;
            return n;
        }
    }

    /// <summary>The writer's stderr: one line per change between acking and failing.</summary>
    public string ErrorText
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>SIGTERM, then its summary: acks, the longest gap between two acks (ms) and READONLY replies.</summary>
    public (int Acked, long LongestOutageMs, long ReadOnly) Stop()
    {
        NamespaceLab.Run("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)], check: false);
        if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        string json;
        lock (_stdout) json = _stdout.ToString().Trim();
        if (json.Length == 0) throw new InvalidOperationException("labwriter printed no summary: " + ErrorText);
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        return (r.GetProperty("acked").GetInt32(), r.GetProperty("longest_outage_ms").GetInt64(),
            r.GetProperty("errors").GetProperty("readonly").GetInt64());
    }

    /// <summary>Every acked key looked up on node's Redis: how many are missing (lost).</summary>
    public (int Acked, int Lost) Verify(int node)
    {
        var json = NamespaceLab.Run("ip", ["netns", "exec", $"{_lab.Prefix}c", "dotnet", LabBinaries.WriterDll(), "verify",
            "--host", $"192.0.2.{node}", "--port", "6379", "--acked", _acked, "--prefix", _prefix], TimeSpan.FromSeconds(60));
        using var doc = JsonDocument.Parse(json.Trim());
        return (doc.RootElement.GetProperty("acked").GetInt32(), doc.RootElement.GetProperty("lost").GetInt32());
    }

    /// <summary>Bytes of replication stream one of this writer's SETs takes, at least and at most.</summary>
    public const int MinSetBytes = 30, MaxSetBytes = 60;

    /// <summary>The writer's SETs in one of a replica's observations of its master (about once a second; 100 writes/s and a margin).</summary>
    public const int WritesPerObservationPeriod = 120;

    /// <summary>
    /// Whether <paramref name="lost"/> acked writes are within a loss estimate of <paramref name="estimatedBytes"/> (the
    /// master's offset as a replica last observed it minus the replica's): each lost SET is at least
    /// <see cref="MinSetBytes"/> of stream, and the writes acked after the last observation (one observation period, up to
    /// <see cref="MaxSetBytes"/> each) are the most the estimate can have missed.
    /// </summary>
    public static bool WithinEstimate(long lost, long estimatedBytes) =>
        lost * MinSetBytes <= estimatedBytes + (long)WritesPerObservationPeriod * MaxSetBytes;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
