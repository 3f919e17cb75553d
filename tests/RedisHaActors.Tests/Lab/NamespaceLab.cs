using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// A namespace lab for one test (lab/lab.sh): unique prefix, real redis-server, real redis-ha
/// nodes and (for interop tests) Debian's keepalived inside node namespaces, optionally a
/// tcpdump of the VRRP traffic. Dispose removes every process, namespace and file it made, even
/// when the test failed. Needs root; CI runs as root.
/// </summary>
public sealed partial class NamespaceLab : IDisposable
{
    /// <summary>Pass as <c>node</c> to <see cref="StartCapture"/> to capture in the client namespace (192.0.2.250).</summary>
    public const int Client = 0;

    private readonly Dictionary<int, Process> _nodes = new();
    private readonly Dictionary<int, StringBuilder> _logs = new();
    private readonly Dictionary<int, Process> _keepalived = new();
    private readonly Dictionary<int, StringBuilder> _keepalivedLogs = new();
    private Process? _capture;
    private StringBuilder? _captureOut;
    private readonly int _size;

    public NamespaceLab(int nodes = 2)
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("SUDO_USER") is null && !IsRoot())
            throw new InvalidOperationException("the namespace lab needs root (CI runs as root); run ./test.sh as root");
        _size = nodes;
        Prefix = "rh" + Guid.NewGuid().ToString("N")[..6];
        OutDir = Directory.CreateTempSubdirectory("redis-ha-lab-").FullName;
        try
        {
            Lab("lab_up", Prefix, nodes.ToString());
        }
        catch
        {
            // The constructor failing means Dispose never runs: clean up here.
            Dispose();
            throw;
        }
    }

    public string Prefix { get; }

    public string OutDir { get; }

    public static string RepoRoot { get; } = FindRepoRoot();

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Split('\n')
        .FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RedisHaActors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static string CoordinatorDll()
    {
        foreach (var config in new[] { "Release", "Debug" })
        {
            var path = Path.Combine(RepoRoot, "src/Coordinator/bin", config, "net10.0/redis-ha.dll");
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException("redis-ha.dll is not built; run `dotnet build -c Release` at the repository root");
    }

    /// <summary>Runs <c>redis-ha ARGS</c> inside node's namespace (its endpoint is on that namespace's loopback).</summary>
    public (int Exit, string Stdout, string Stderr) RedisHaCli(int node, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", $"{Prefix}n{node}", "dotnet", CoordinatorDll(), .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"redis-ha {string.Join(' ', args)} in n{node} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a lab.sh function; returns stdout. Throws on a non-zero exit.</summary>
    public string Lab(params string[] args) => Run("bash", [Path.Combine(RepoRoot, "lab/lab.sh"), .. args]);

    public static string Run(string file, string[] args, TimeSpan? timeout = null, bool check = true)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    public void StartRedis(int node, params string[] extra) => Lab(["lab_redis_start", Prefix, node.ToString(), OutDir, .. extra]);

    public void KillRedis(int node) => Lab("lab_redis_kill", Prefix, node.ToString(), OutDir);

    public string RedisCli(int node, params string[] args) => Lab(["lab_redis_cli", Prefix, node.ToString(), .. args]);

    /// <summary>redis-cli from the client namespace against the VIP; returns the reply or the error text.</summary>
    public string WriteThroughVip(string key, string value)
    {
        try
        {
            return Run("ip", ["netns", "exec", Prefix + "c", "timeout", "2", "redis-cli", "-h", "192.0.2.100", "SET", key, value], TimeSpan.FromSeconds(5), check: false).Trim();
        }
        catch (TimeoutException)
        {
            return "timeout";
        }
    }

    /// <summary>The <c>role:</c> of node's Redis, or "down".</summary>
    public string Role(int node)
    {
        try
        {
            var info = RedisCli(node, "info", "replication");
            var role = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("role:"));
            return role?["role:".Length..] ?? "down";
        }
        catch (InvalidOperationException)
        {
            return "down";
        }
    }

    public string? MasterHostOf(int node)
    {
        try
        {
            return RedisCli(node, "info", "replication").Split('\n').Select(l => l.Trim())
                .FirstOrDefault(l => l.StartsWith("master_host:"))?["master_host:".Length..];
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public int[] VipHolders() => Lab("lab_vip_holders", Prefix, _size.ToString())
        .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();

    public bool NodeRunning(int node) => !_nodes[node].HasExited;

    /// <summary>
    /// Writes node i's config (200 ms adverts and checks unless overridden by <paramref name="extra"/>,
    /// HOCON appended last) and starts redis-ha in its namespace. A node may be started again once its
    /// previous process has exited.
    /// </summary>
    public void StartNode(int node, int priority, bool preempt, string extra = "")
    {
        if (_nodes.TryGetValue(node, out var previous))
        {
            if (!previous.HasExited) throw new InvalidOperationException($"node {node} is still running");
            previous.Dispose();
        }
        var config = Path.Combine(OutDir, $"n{node}.conf");
        File.WriteAllText(config, $$"""
            redis-ha {
              node { name = "n{{node}}" }
              vrrp {
                interface = "eth0"
                virtual-router-id = 51
                priority = {{priority}}
                advert-interval = 200ms
                preempt = {{(preempt ? "on" : "off")}}
                virtual-ipaddress = ["192.0.2.100/24"]
              }
              redis {
                announce-host = "192.0.2.{{node}}"
                check { interval = 200ms, timeout = 200ms, rise = 2, fall = 2, weight = -20 }
                sync-timeout = 5s
              }
            }
            {{extra}}
            """);
        var log = new StringBuilder();
        _nodes[node] = StartLogged(["netns", "exec", $"{Prefix}n{node}", "dotnet", CoordinatorDll(), "run", "--config", config], log);
        _logs[node] = log;
    }

    /// <summary>Starts <c>ip args…</c> with stdout and stderr appended line by line to <paramref name="log"/>.</summary>
    private static Process StartLogged(string[] args, StringBuilder log)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public string NodeLog(int node)
    {
        var log = _logs[node];
        lock (log) return log.ToString();
    }

    /// <summary>Every redis-ha node log, then every keepalived log.</summary>
    public string AllLogs() => string.Join("\n",
        _logs.Keys.Select(k => $"--- node {k} ---\n{NodeLog(k)}")
            .Concat(_keepalivedLogs.Keys.Select(k => $"--- keepalived n{k} ---\n{KeepalivedLog(k)}")));

    public void KillNode(int node) => _nodes[node].Kill(entireProcessTree: true);

    /// <summary>The files node i's process has mapped (libraries and assemblies), from /proc/PID/maps.</summary>
    public string[] NodeMappedFiles(int node) =>
        File.ReadAllLines($"/proc/{_nodes[node].Id}/maps")
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].StartsWith('/'))
            .Select(f => f[5].Trim())
            .Distinct()
            .ToArray();

    /// <summary>SIGTERM the node and wait (bounded) for it to exit; returns its exit code.</summary>
    public int TerminateNode(int node, TimeSpan timeout)
    {
        var p = _nodes[node];
        Run("kill", ["-TERM", p.Id.ToString()], check: false);
        // `ip netns exec` execs dotnet in place, so the pid is the node's.
        if (!p.WaitForExit(timeout)) throw new TimeoutException($"node {node} did not exit within {timeout} after SIGTERM");
        return p.ExitCode;
    }

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

    // ---------------------------------------------------------------------------------------
    // keepalived (Debian's, in the foreground) for interop tests.

    /// <summary>
    /// Writes OutDir/keepalived-n{node}.conf and runs keepalived in node's namespace in the
    /// foreground (<c>keepalived -n -l -D -f CONF -p PID -r VRRP_PID -c CHECK_PID</c>, pid files
    /// in OutDir), its console log captured (<see cref="KeepalivedLog"/>). The config is
    /// <c>global_defs { router_id …; globalDefs }</c> and <c>vrrp_instance VI_1 { vrrpInstanceBody }</c>;
    /// no vrrp_script is added, so a plain instance (interface, virtual_router_id, priority,
    /// advert_int, virtual_ipaddress) runs without any Redis check.
    /// </summary>
    public void StartKeepalived(int node, string vrrpInstanceBody, string globalDefs = "")
    {
        if (_keepalived.TryGetValue(node, out var previous))
        {
            if (!previous.HasExited) throw new InvalidOperationException($"keepalived in node {node} is still running");
            previous.Dispose();
        }
        var config = KeepalivedFile(node, "conf");
        File.WriteAllText(config, $$"""
            # written by NamespaceLab.StartKeepalived for lab {{Prefix}}
            global_defs {
                router_id {{Prefix}}-n{{node}}
            {{globalDefs}}
            }
            vrrp_instance VI_1 {
            {{vrrpInstanceBody}}
            }

            """);
        foreach (var ext in new[] { "pid", "vrrp.pid", "checkers.pid" }) File.Delete(KeepalivedFile(node, ext));
        var log = new StringBuilder();
        _keepalived[node] = StartLogged(["netns", "exec", $"{Prefix}n{node}", "keepalived", "-n", "-l", "-D", "-f", config,
            "-p", KeepalivedFile(node, "pid"), "-r", KeepalivedFile(node, "vrrp.pid"), "-c", KeepalivedFile(node, "checkers.pid")], log);
        _keepalivedLogs[node] = log;
    }

    private string KeepalivedFile(int node, string ext) => Path.Combine(OutDir, $"keepalived-n{node}.{ext}");

    /// <summary>keepalived's console log (stdout and stderr) in node so far.</summary>
    public string KeepalivedLog(int node)
    {
        var log = _keepalivedLogs[node];
        lock (log) return log.ToString();
    }

    public bool KeepalivedRunning(int node) => _keepalived.TryGetValue(node, out var p) && !p.HasExited;

    /// <summary>
    /// Crashes keepalived in node like kill -9: SIGSTOP the parent (so it neither respawns the VRRP
    /// child nor lets the kernel SIGTERM it), SIGKILL the children, then the parent. Killing only
    /// the parent is not a crash: its VRRP child gets SIGTERM (PDEATHSIG) and sends a priority-0 advert.
    /// </summary>
    public void KillKeepalived(int node)
    {
        var p = _keepalived[node];
        if (p.HasExited) return;
        Run("kill", ["-STOP", p.Id.ToString()], check: false);
        var children = KeepalivedChildren(node, p);
        if (children.Length > 0) Run("kill", ["-KILL", .. children.Select(c => c.ToString())], check: false);
        if (!p.HasExited) p.Kill(entireProcessTree: true);
        p.WaitForExit(5000);
    }

    /// <summary>keepalived processes in node's namespace other than the parent we started (the VRRP and checker children).</summary>
    private int[] KeepalivedChildren(int node, Process parent)
    {
        int parentId;
        try { parentId = parent.Id; } catch (InvalidOperationException) { parentId = -1; }
        var pids = Run("ip", ["netns", "pids", $"{Prefix}n{node}"], check: false)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var children = new List<int>();
        foreach (var s in pids)
        {
            if (!int.TryParse(s, out var pid) || pid == parentId) continue;
            try
            {
                if (File.ReadAllText($"/proc/{pid}/comm").Trim() == "keepalived") children.Add(pid);
            }
            catch (IOException) { }
        }
        return children.ToArray();
    }

    /// <summary>SIGTERM keepalived in node (priority-0 advert, VIP removed) and wait for it to exit.</summary>
    public void StopKeepalived(int node, TimeSpan timeout)
    {
        var p = _keepalived[node];
        Run("kill", ["-TERM", p.Id.ToString()], check: false);
        if (!p.WaitForExit(timeout)) throw new TimeoutException($"keepalived in node {node} did not exit within {timeout} after SIGTERM");
    }

    // ---------------------------------------------------------------------------------------
    // Packet capture of VRRP adverts.

    /// <summary>
    /// Starts <c>tcpdump -i eth0 -nn -tt -l --immediate-mode 'ip proto 112'</c> in node's namespace (<see cref="Client"/>
    /// for the client) and returns once it listens. One capture per lab; a second call replaces
    /// the first. Read with <see cref="CaptureAdverts"/>.
    /// </summary>
    public void StartCapture(int node)
    {
        StopCapture();
        var ns = node == Client ? Prefix + "c" : $"{Prefix}n{node}";
        var output = new StringBuilder();
        var p = StartLogged(["netns", "exec", ns, "tcpdump", "-i", "eth0", "-nn", "-tt", "-l", "--immediate-mode", "ip proto 112"], output);
        _capture = p;
        _captureOut = output;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            lock (output)
                if (output.ToString().Contains("listening on", StringComparison.Ordinal)) return;
            if (p.HasExited) break;
            Thread.Sleep(20);
        }
        string text;
        lock (output) text = output.ToString();
        throw new InvalidOperationException($"tcpdump in {ns} did not start listening: {text.Trim()}");
    }

    /// <summary>Stops the capture, if any; what it captured stays readable through <see cref="CaptureAdverts"/>.</summary>
    public void StopCapture()
    {
        if (_capture is null) return;
        try
        {
            if (!_capture.HasExited)
            {
                Run("kill", ["-INT", _capture.Id.ToString()], check: false);
                if (!_capture.WaitForExit(3000)) _capture.Kill(entireProcessTree: true);
            }
            _capture.WaitForExit(3000);
        }
        catch (InvalidOperationException) { }
        _capture.Dispose();
        _capture = null;
    }

    /// <summary>The VRRP adverts the current (or last) capture has printed so far, in order.</summary>
    public IReadOnlyList<CapturedAdvert> CaptureAdverts()
    {
        if (_captureOut is null) return [];
        string text;
        lock (_captureOut) text = _captureOut.ToString();
        var adverts = new List<CapturedAdvert>();
        foreach (var line in text.Split('\n'))
        {
            var m = AdvertLine().Match(line);
            if (!m.Success) continue;
            adverts.Add(new CapturedAdvert(
                double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture),
                m.Groups["src"].Value,
                m.Groups["dst"].Value,
                int.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["vrid"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["prio"].Value, CultureInfo.InvariantCulture),
                m.Groups["auth"].Success ? m.Groups["auth"].Value : null,
                m.Groups["intvl"].Value,
                line.Trim()));
        }
        return adverts;
    }

    /// <summary>The raw tcpdump output of the current (or last) capture.</summary>
    public string CaptureText()
    {
        if (_captureOut is null) return "";
        lock (_captureOut) return _captureOut.ToString();
    }

    // 1764486817.123456 IP 192.0.2.1 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, prio 200, intvl 20cs, length 12
    // 1764486817.123456 IP 192.0.2.2 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 100, authtype simple, intvl 1s, length 20
    [GeneratedRegex(@"^(?<t>\d+\.\d+) IP (?<src>[\d.]+) > (?<dst>[\d.]+): VRRPv(?<v>\d), Advertisement, vrid (?<vrid>\d+), prio (?<prio>\d+), (?:authtype (?<auth>\w+), )?intvl (?<intvl>\w+)")]
    private static partial Regex AdvertLine();

    public void Dispose()
    {
        // Thaw frozen nodes and lift VRRP blocks first, so the nodes below can be killed and the lab torn down.
        DisposeCluster();
        StopCapture();
        foreach (var (node, p) in _keepalived)
        {
            try
            {
                // Children first: a parent killed alone makes its VRRP child shut down gracefully.
                KillKeepalived(node);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
            p.Dispose();
        }
        foreach (var p in _nodes.Values)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { Lab("lab_down", Prefix); } catch (Exception) { /* best effort; lab_down is idempotent */ }
        try { Directory.Delete(OutDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One VRRP advert as tcpdump printed it. <see cref="Auth"/> is VRRPv2's authtype (none, simple, ah) or null.</summary>
public sealed record CapturedAdvert(double Time, string Source, string Destination, int Version, int Vrid, int Priority, string? Auth,
    string Interval, string Line);
