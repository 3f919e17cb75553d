using System.Diagnostics;
using System.Globalization;
using System.Text;
using LabWriter.Analysis;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Writability samplers (<c>labwriter sample</c>) in the data nodes' namespaces, one per node. Their
/// logs are analysed by LabWriter.Analysis (<see cref="DualWritable"/>, <see cref="Takeover"/>), the
/// same code bench/partition.sh runs through <c>labwriter dual-writable</c>.
/// </summary>
public sealed partial class NamespaceLab
{
    /// <summary>The samplers' default period: one write attempt on the node's own Redis every 50 ms.</summary>
    public const int SamplePeriodMs = Sample.DefaultPeriodMs;

    private readonly Dictionary<int, SamplerProcess> _samplers = new();

    /// <summary>Wall-clock now in unix ms, the samplers' time base (record a fault's start with it).</summary>
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Key prefix of node's sampler: attempt n writes <c>PREFIX:n</c> (<see cref="ProbeKeys.Key"/>).</summary>
    public static string SamplePrefix(int node) => $"sample-n{node}";

    /// <summary>
    /// Starts <c>labwriter sample</c> in node's namespace against its own Redis (127.0.0.1:6379): a SET
    /// every <paramref name="periodMs"/>, each attempt bounded by <paramref name="timeoutMs"/> (connect and
    /// reply). Returns once the first sample line is in (20 s at most, else throws). A sampler started
    /// again for the same node (after <see cref="StopSamplers"/>) starts a new log. The sampler stops with
    /// <see cref="StopSamplers"/>, when this process dies (it watches its stdin), or after an hour.
    /// </summary>
    public void StartSampler(int node, int periodMs = SamplePeriodMs, int timeoutMs = Sample.DefaultReplyTimeoutMs)
    {
        if (_samplers.TryGetValue(node, out var previous) && previous.Running)
            throw new InvalidOperationException($"a sampler already runs in node {node}");
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["netns", "exec", Ns(node), "dotnet", LabBinaries.WriterDll(), "sample",
                     "--period-ms", periodMs.ToString(CultureInfo.InvariantCulture),
                     "--connect-timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture),
                     "--reply-timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture),
                     "--prefix", SamplePrefix(node),
                     "--stop-on-stdin-eof"])
            psi.ArgumentList.Add(a);
        var sampler = new SamplerProcess(Process.Start(psi)!, node);
        previous?.Process.Dispose();
        _samplers[node] = sampler;

        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (sampler.LineCount > 0) return;
            if (!sampler.Running) break;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException(
            $"sampler in node {node} printed no sample within 20 s (running: {sampler.Running}): {sampler.ErrorText().Trim()}");
    }

    /// <summary>Stops every sampler (stdin closed and SIGTERM, SIGKILL after 3 s); their logs stay readable.</summary>
    public void StopSamplers()
    {
        foreach (var sampler in _samplers.Values) sampler.Stop();
    }

    /// <summary>The node sampler's raw lines so far (<c>UNIX_MS OK REPLY_MS</c> / <c>UNIX_MS ERR REASON</c>), then its stderr.</summary>
    public string SamplerText(int node)
    {
        var sampler = _samplers[node];
        var sb = new StringBuilder();
        foreach (var l in sampler.Lines()) sb.AppendLine(l);
        return sb.Append(sampler.ErrorText()).ToString();
    }

    /// <summary>The node sampler's raw lines so far.</summary>
    public IReadOnlyList<string> SamplerLines(int node) => _samplers[node].Lines();

    /// <summary>The node sampler's attempts so far, in order (<see cref="Sample.Parse"/>).</summary>
    public IReadOnlyList<Sample> SamplerLog(int node) => Sample.Parse(SamplerLines(node));

    /// <summary>Attempt numbers (1-based, one line per attempt) whose write the node's Redis acknowledged (<see cref="ProbeKeys.AcceptedAttempts"/>).</summary>
    public IReadOnlyList<long> AcceptedAttempts(int node) => ProbeKeys.AcceptedAttempts(SamplerLog(node));

    private void DisposeSamplers()
    {
        try { StopSamplers(); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var sampler in _samplers.Values) sampler.Process.Dispose();
    }
}
