using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// A namespace lab for one test (lab/lab.sh): unique prefix, real redis-server and real
/// redis-ha nodes inside node namespaces. Dispose removes every process, namespace and file it
/// made, even when the test failed. Needs root; CI runs as root.
/// </summary>
public sealed class NamespaceLab : IDisposable
{
    private readonly Dictionary<int, Process> _nodes = new();
    private readonly Dictionary<int, StringBuilder> _logs = new();
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

    /// <summary>Writes node i's config (200 ms adverts and checks unless overridden) and starts redis-ha in its namespace.</summary>
    public bool NodeRunning(int node) => !_nodes[node].HasExited;

    public void StartNode(int node, int priority, bool preempt, string extra = "")
    {
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
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", $"{Prefix}n{node}", "dotnet", CoordinatorDll(), "run", "--config", config }) psi.ArgumentList.Add(a);
        var log = new StringBuilder();
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _nodes[node] = p;
        _logs[node] = log;
    }

    public string NodeLog(int node)
    {
        var log = _logs[node];
        lock (log) return log.ToString();
    }

    public string AllLogs() => string.Join("\n", _logs.Keys.Select(k => $"--- node {k} ---\n{NodeLog(k)}"));

    public void KillNode(int node) => _nodes[node].Kill(entireProcessTree: true);

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

    public void Dispose()
    {
        foreach (var p in _nodes.Values)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { Lab("lab_down", Prefix); } catch (Exception) { /* best effort; lab_down is idempotent */ }
        try { Directory.Delete(OutDir, recursive: true); } catch (IOException) { }
    }
}
