using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Cluster-guard lab tools (issue 3): the Akka cluster part of a node's config, writability samplers
/// in the data nodes' namespaces (<c>labwriter sample</c>), the faults (switch-port isolation, a
/// VRRP-only block, SIGSTOP of a node's coordinator) and the pure analysis of sampler logs.
/// Every fault is undone by <see cref="DisposeCluster"/>; the samplers and rules would die with the
/// lab's namespaces anyway (lab_down kills every process in them, iptables rules live in them).
/// </summary>
public sealed partial class NamespaceLab
{
    /// <summary>Akka remoting port of every lab node (each node has its own namespace, so one port).</summary>
    public const int AkkaPort = 4053;

    /// <summary>The samplers' default period: one write attempt on the node's own Redis every 50 ms.</summary>
    public const int SamplePeriodMs = 50;

    private readonly Dictionary<int, Sampler> _samplers = new();
    private readonly Dictionary<int, int> _frozen = new();
    private readonly HashSet<int> _vrrpBlocked = new();
    private readonly HashSet<int> _isolated = new();

    /// <summary>
    /// HOCON to pass as StartNode's <c>extra</c>: Akka remoting on 192.0.2.node:4053, seed nodes
    /// 192.0.2.1..voters (the voters), and for a witness <c>redis-ha.node.role = witness</c>.
    /// </summary>
    public string ClusterHocon(int node, int voters, bool witness) => ClusterHoconText(node, voters, witness);

    internal static string ClusterHoconText(int node, int voters, bool witness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, 99);
        ArgumentOutOfRangeException.ThrowIfLessThan(voters, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(voters, 99);
        var seeds = string.Join(", ", Enumerable.Range(1, voters).Select(i => $"\"akka.tcp://redis-ha@192.0.2.{i}:{AkkaPort}\""));
        var sb = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp {{ hostname = \"192.0.2.{node}\", port = {AkkaPort} }}\n")
            .Append(CultureInfo.InvariantCulture, $"akka.cluster.seed-nodes = [{seeds}]\n");
        if (witness) sb.Append("redis-ha.node.role = witness\n");
        return sb.ToString();
    }

    /// <summary>Wall-clock now in unix ms, the samplers' time base (record a fault's start with it).</summary>
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------------------------------
    // Samplers.

    internal static string WriterDll()
    {
        foreach (var config in new[] { "Release", "Debug" })
        {
            var path = Path.Combine(RepoRoot, "lab/writer/bin", config, "net10.0/labwriter.dll");
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException("labwriter.dll is not built; run `dotnet build -c Release` at the repository root");
    }

    /// <summary>
    /// Starts <c>labwriter sample</c> in node's namespace against its own Redis (127.0.0.1:6379): a SET
    /// every <paramref name="periodMs"/>, each attempt bounded by <paramref name="timeoutMs"/> (connect and
    /// reply). Returns once the first sample line is in (bounded). A sampler started again for the same
    /// node (after <see cref="StopSamplers"/>) starts a new log. The sampler stops with
    /// <see cref="StopSamplers"/>, when this process dies (it watches its stdin), or after an hour.
    /// </summary>
    public void StartSampler(int node, int periodMs = SamplePeriodMs, int timeoutMs = 40)
    {
        if (_samplers.TryGetValue(node, out var previous) && previous.Running)
            throw new InvalidOperationException($"a sampler already runs in node {node}");
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["netns", "exec", $"{Prefix}n{node}", "dotnet", WriterDll(), "sample",
                     "--period-ms", periodMs.ToString(CultureInfo.InvariantCulture),
                     "--connect-timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture),
                     "--reply-timeout-ms", timeoutMs.ToString(CultureInfo.InvariantCulture),
                     "--prefix", SamplePrefix(node),
                     "--stop-on-stdin-eof"])
            psi.ArgumentList.Add(a);
        var sampler = new Sampler(Process.Start(psi)!, node);
        previous?.Process.Dispose();
        _samplers[node] = sampler;

        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            lock (sampler.Lines) if (sampler.Lines.Count > 0) return;
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

    /// <summary>The node sampler's raw lines so far (<c>UNIX_MS OK</c> / <c>UNIX_MS ERR REASON</c>), then its stderr.</summary>
    public string SamplerText(int node)
    {
        var sampler = _samplers[node];
        var sb = new StringBuilder();
        lock (sampler.Lines) foreach (var l in sampler.Lines) sb.AppendLine(l);
        return sb.Append(sampler.ErrorText()).ToString();
    }

    /// <summary>The node sampler's attempts so far, in order: start time (unix ms) and whether the SET was accepted.</summary>
    public IReadOnlyList<(long Ms, bool Ok)> SamplerLog(int node)
    {
        var sampler = _samplers[node];
        string[] lines;
        lock (sampler.Lines) lines = sampler.Lines.ToArray();
        return ParseSamples(lines);
    }

    /// <summary>
    /// The windows in which the node's accepted writes landed: from each OK attempt's start to its
    /// reply (the third field; start + <paramref name="fallbackMs"/> when absent), merged.
    /// </summary>
    public static List<(long Start, long End)> AcceptedWindows(IEnumerable<string> lines, int fallbackMs = 40)
    {
        var windows = new List<(long Start, long End)>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[1] != "OK" || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)) continue;
            var end = parts.Length >= 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var done) ? done + 1 : start + fallbackMs;
            windows.Add((start, Math.Max(end, start + 1)));
        }
        windows.Sort();
        var merged = new List<(long Start, long End)>();
        foreach (var w in windows)
        {
            if (merged.Count > 0 && merged[^1].End >= w.Start) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, w.End));
            else merged.Add(w);
        }
        return merged;
    }

    /// <summary>Intersections of two merged window lists: moments at which both nodes may have accepted a write.</summary>
    public static List<(long Start, long End)> Overlaps(IReadOnlyList<(long Start, long End)> x, IReadOnlyList<(long Start, long End)> y)
    {
        var both = new List<(long Start, long End)>();
        int i = 0, j = 0;
        while (i < x.Count && j < y.Count)
        {
            var start = Math.Max(x[i].Start, y[j].Start);
            var end = Math.Min(x[i].End, y[j].End);
            if (end > start) both.Add((start, end));
            if (x[i].End < y[j].End) i++;
            else j++;
        }
        return both;
    }

    /// <summary>Key prefix of node's sampler: attempt n writes <c>PREFIX:n</c>.</summary>
    public static string SamplePrefix(int node) => $"sample-n{node}";

    /// <summary>Attempt numbers (1-based, one line per attempt) whose write the node's Redis acknowledged.</summary>
    public IReadOnlyList<int> AcceptedAttempts(int node) =>
        SamplerLines(node).Select((line, i) => (Ok: line.Split(' ').ElementAtOrDefault(1) == "OK", N: i + 1)).Where(x => x.Ok).Select(x => x.N).ToArray();

    /// <summary>The node sampler's raw lines so far.</summary>
    public IReadOnlyList<string> SamplerLines(int node)
    {
        var sampler = _samplers[node];
        lock (sampler.Lines) return sampler.Lines.ToArray();
    }

    /// <summary>Parses sampler lines; anything that is not "MS OK" or "MS ERR ..." is skipped.</summary>
    public static IReadOnlyList<(long Ms, bool Ok)> ParseSamples(IEnumerable<string> lines)
    {
        var samples = new List<(long, bool)>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) continue;
            if (parts[1] == "OK") samples.Add((ms, true));
            else if (parts[1] == "ERR") samples.Add((ms, false));
        }
        return samples;
    }

    /// <summary>
    /// One sampler process, its output read by two dedicated threads: Process's async events run on the
    /// thread pool, which a busy test host starves for up to a second (lines then arrive late, in bursts).
    /// </summary>
    private sealed class Sampler
    {
        private readonly StringBuilder _errors = new();
        private readonly Thread _out;
        private readonly Thread _err;

        public Sampler(Process process, int node)
        {
            Process = process;
            _out = new Thread(() => Pump(process.StandardOutput, line => { lock (Lines) Lines.Add(line); }))
                { IsBackground = true, Name = $"sampler-n{node}-out" };
            _err = new Thread(() => Pump(process.StandardError, line => { lock (_errors) _errors.AppendLine(line); }))
                { IsBackground = true, Name = $"sampler-n{node}-err" };
            _out.Start();
            _err.Start();
        }

        public Process Process { get; }

        /// <summary>False once it exited (or its Process was disposed).</summary>
        public bool Running
        {
            get
            {
                try { return !Process.HasExited; }
                catch (InvalidOperationException) { return false; }
            }
        }

        public List<string> Lines { get; } = new();

        public string ErrorText()
        {
            lock (_errors) return _errors.ToString();
        }

        private static void Pump(StreamReader reader, Action<string> add)
        {
            try
            {
                while (reader.ReadLine() is { } line) add(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        }

        public void Stop()
        {
            try
            {
                if (Running)
                {
                    try { Process.StandardInput.Close(); } catch (IOException) { }
                    Run("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)], check: false);
                    if (!Process.WaitForExit(3000)) Process.Kill(entireProcessTree: true);
                    Process.WaitForExit(5000);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                lock (_errors) _errors.AppendLine($"stop: {e.Message}");
            }
            // The pipes close with the process: the readers end with the last line.
            _out.Join(TimeSpan.FromSeconds(5));
            _err.Join(TimeSpan.FromSeconds(5));
        }
    }

    // ---------------------------------------------------------------------------------------
    // Faults. Each is undone by its pair and by DisposeCluster.

    /// <summary>Drops IP protocol 112 (VRRP) in and out of node's namespace (iptables); idempotent.</summary>
    public void BlockVrrp(int node)
    {
        _vrrpBlocked.Add(node);
        Lab("lab_vrrp_block", Prefix, node.ToString(CultureInfo.InvariantCulture));
    }

    public void UnblockVrrp(int node)
    {
        Lab("lab_vrrp_unblock", Prefix, node.ToString(CultureInfo.InvariantCulture));
        _vrrpBlocked.Remove(node);
    }

    /// <summary>Disables node's switch port (carrier kept: the node does not see its link go down).</summary>
    public void Isolate(int node)
    {
        _isolated.Add(node);
        Lab("lab_isolate", Prefix, node.ToString(CultureInfo.InvariantCulture));
    }

    public void Rejoin(int node)
    {
        Lab("lab_rejoin", Prefix, node.ToString(CultureInfo.InvariantCulture));
        _isolated.Remove(node);
    }

    /// <summary>SIGSTOP node's redis-ha process (returns once the kernel shows it stopped).</summary>
    public void Freeze(int node)
    {
        var pid = NodePid(node);
        _frozen[node] = pid;
        Lab("lab_freeze", Prefix, node.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>SIGCONT node's redis-ha process; a no-op when it is not frozen or gone.</summary>
    public void Thaw(int node)
    {
        if (!_frozen.TryGetValue(node, out var pid)) return;
        Lab("lab_thaw", Prefix, node.ToString(CultureInfo.InvariantCulture), pid.ToString(CultureInfo.InvariantCulture));
        _frozen.Remove(node);
    }

    /// <summary>
    /// The dotnet process of node's coordinator: the pid StartNode got (<c>ip netns exec</c> execs
    /// dotnet in place), or else a dotnet child of it.
    /// </summary>
    private int NodePid(int node)
    {
        if (!_nodes.TryGetValue(node, out var p) || p.HasExited) throw new InvalidOperationException($"node {node} is not running");
        var pid = p.Id;
        if (Comm(pid) == "dotnet") return pid;
        var children = Run("ip", ["netns", "pids", $"{Prefix}n{node}"], check: false)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out var c) ? c : -1)
            .Where(c => c > 0 && Comm(c) == "dotnet" && ParentPid(c) == pid)
            .ToArray();
        return children.Length == 1
            ? children[0]
            : throw new InvalidOperationException($"node {node}: no single dotnet process under pid {pid} (found {children.Length})");
    }

    private static string? Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static int ParentPid(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            return line is not null && int.TryParse(line["PPid:".Length..].Trim(), out var ppid) ? ppid : -1;
        }
        catch (IOException) { return -1; }
    }

    /// <summary>
    /// Undoes every fault still in place (thaw, rejoin, unblock) and stops the samplers; best effort,
    /// never throws. Called first thing in <see cref="Dispose"/>.
    /// </summary>
    private void DisposeCluster()
    {
        foreach (var node in _frozen.Keys.ToArray())
            try { Thaw(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _isolated.ToArray())
            try { Rejoin(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _vrrpBlocked.ToArray())
            try { UnblockVrrp(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        try { StopSamplers(); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var sampler in _samplers.Values) sampler.Process.Dispose();
    }

    // ---------------------------------------------------------------------------------------
    // Sampler analysis (pure). A sample stands for its slot: from its start time for one period, cut
    // short by the node's next sample. Times are unix ms.

    /// <summary>The node's writable time as merged [start, end) intervals, clipped to [fromMs, toMs).</summary>
    public static List<(long Start, long End)> OkIntervals(IReadOnlyList<(long Ms, bool Ok)> samples,
        long fromMs = long.MinValue, long toMs = long.MaxValue, int periodMs = SamplePeriodMs)
    {
        var sorted = samples.OrderBy(s => s.Ms).ToArray();
        var result = new List<(long Start, long End)>();
        for (var i = 0; i < sorted.Length; i++)
        {
            if (!sorted[i].Ok) continue;
            var start = Math.Max(sorted[i].Ms, fromMs);
            var end = sorted[i].Ms + periodMs;
            if (i + 1 < sorted.Length) end = Math.Min(end, sorted[i + 1].Ms);
            end = Math.Min(end, toMs);
            if (end <= start) continue;
            if (result.Count > 0 && result[^1].End >= start)
                result[^1] = (result[^1].Start, Math.Max(result[^1].End, end));
            else
                result.Add((start, end));
        }
        return result;
    }

    /// <summary>The moments at which both nodes' latest samples were OK, as [start, end) intervals.</summary>
    public static List<(long Start, long End)> DualWritableIntervals(IReadOnlyList<(long Ms, bool Ok)> a,
        IReadOnlyList<(long Ms, bool Ok)> b, long fromMs = long.MinValue, long toMs = long.MaxValue, int periodMs = SamplePeriodMs)
    {
        var x = OkIntervals(a, fromMs, toMs, periodMs);
        var y = OkIntervals(b, fromMs, toMs, periodMs);
        var both = new List<(long Start, long End)>();
        int i = 0, j = 0;
        while (i < x.Count && j < y.Count)
        {
            var start = Math.Max(x[i].Start, y[j].Start);
            var end = Math.Min(x[i].End, y[j].End);
            if (end > start) both.Add((start, end));
            if (x[i].End < y[j].End) i++;
            else j++;
        }
        return both;
    }

    /// <summary>Total seconds during which both nodes' latest samples were OK (two writable masters).</summary>
    public static double DualWritableSeconds(IReadOnlyList<(long Ms, bool Ok)> a, IReadOnlyList<(long Ms, bool Ok)> b,
        long fromMs = long.MinValue, long toMs = long.MaxValue, int periodMs = SamplePeriodMs) =>
        DualWritableIntervals(a, b, fromMs, toMs, periodMs).Sum(iv => iv.End - iv.Start) / 1000.0;

    /// <summary>
    /// Seconds from <paramref name="faultMs"/> to the node's first OK sample (at or after the fault)
    /// that follows a failed attempt or no sample at all: for a replica that takes over, the time until
    /// it accepts writes. A node that was already writable at the fault must first fail, then succeed
    /// again. null when that never happens ("no takeover").
    /// </summary>
    public static double? SecondsUntilWritable(IReadOnlyList<(long Ms, bool Ok)> samples, long faultMs)
    {
        var sorted = samples.OrderBy(s => s.Ms).ToArray();
        // Not writable before the fault: its latest sample failed, or there was none.
        var wasNotOk = !sorted.Where(s => s.Ms < faultMs).Select(s => s.Ok).LastOrDefault(false);
        foreach (var (ms, ok) in sorted.Where(s => s.Ms >= faultMs))
        {
            if (!ok) wasNotOk = true;
            else if (wasNotOk) return (ms - faultMs) / 1000.0;
        }
        return null;
    }
}
