using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>Our redis-ha nodes: one process per node namespace, its console log, its CLI.</summary>
public sealed partial class NamespaceLab
{
    private readonly Dictionary<int, Process> _nodes = new();
    private readonly Dictionary<int, StringBuilder> _logs = new();

    /// <summary>
    /// Writes node i's config (<see cref="LabConfig.NodeHocon"/>: 200 ms adverts and checks unless
    /// overridden by <paramref name="extra"/>, HOCON appended last; the control API's token in
    /// <c>n{node}.token</c>, mode 0600) and starts redis-ha in its namespace. A node may be started
    /// again once its previous process has exited. <paramref name="coordinatorDll"/>: another build (a rolling
    /// upgrade's previous version); null = this tree's.
    /// </summary>
    /// <para><paramref name="unprivileged"/>: as the documented unit runs it, as an unprivileged user (nobody) with only
    /// CAP_NET_RAW and CAP_NET_ADMIN (setpriv, no new privileges), from a copy of the build readable by that user.</para>
    public void StartNode(int node, int priority, bool preempt, string extra = "", string? coordinatorDll = null, bool unprivileged = false)
    {
        if (_nodes.TryGetValue(node, out var previous))
        {
            if (!previous.HasExited) throw new InvalidOperationException($"node {node} is still running");
            previous.Dispose();
        }
        var token = Path.Combine(OutDir, $"n{node}.token");
        File.WriteAllText(token, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = NodeConfig(node);
        File.WriteAllText(config, LabConfig.NodeHocon(node, priority, preempt, $"redis-ha.status.token-file = \"{token}\"\n{extra}"));
        var log = new StringBuilder();
        var dll = coordinatorDll ?? LabBinaries.CoordinatorDll();
        string[] prefix = [];
        if (unprivileged)
        {
            dll = UnprivilegedCopy(dll);
            Run("chown", [$"{Unprivileged}:{UnprivilegedGroup}", config, token]);
            prefix = ["setpriv", $"--reuid={Unprivileged}", $"--regid={UnprivilegedGroup}", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all,+net_raw,+net_admin", "--ambient-caps=-all,+net_raw,+net_admin", "--bounding-set=-all,+net_raw,+net_admin"];
        }
        _nodes[node] = StartLogged(["netns", "exec", Ns(node), .. prefix, "dotnet", dll, "run", "--config", config], log);
        _logs[node] = log;
    }

    /// <summary>The user and group an unprivileged node runs as (Debian's nobody / nogroup).</summary>
    public const string Unprivileged = "nobody", UnprivilegedGroup = "nogroup";

    /// <summary>The coordinator's build directory copied into OutDir (once), readable by <see cref="Unprivileged"/>: the
    /// repository may sit under a directory only root may enter (/root).</summary>
    private string UnprivilegedCopy(string dll)
    {
        var source = Path.GetDirectoryName(dll)!;
        var target = Path.Combine(OutDir, "bin-unprivileged");
        if (!Directory.Exists(target))
        {
            Run("cp", ["-r", source, target]);
            Run("chmod", ["-R", "a+rX", target]);
            // The lab's scratch directory is 0700 (CreateTempSubdirectory): let the user reach its own files.
            Run("chmod", ["a+x", OutDir]);
        }
        return Path.Combine(target, Path.GetFileName(dll));
    }

    /// <summary>The <c>Uid:</c> and <c>CapEff:</c> lines of node's coordinator process (/proc/PID/status).</summary>
    public (string Uid, string CapEff) NodeCredentials(int node)
    {
        var lines = File.ReadAllLines($"/proc/{NodePid(node)}/status");
        string Field(string name) => lines.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        return (Field("Uid"), Field("CapEff"));
    }

    /// <summary>The config file <see cref="StartNode"/> wrote for node (its status listen and token file, for <c>--config</c>).</summary>
    public string NodeConfig(int node) => Path.Combine(OutDir, $"n{node}.conf");

    /// <summary>The control API token <see cref="StartNode"/> wrote for node.</summary>
    public string NodeToken(int node) => File.ReadAllText(Path.Combine(OutDir, $"n{node}.token")).Trim();

    /// <summary>Runs <c>curl ARGS</c> inside node's namespace (10 s at most); its stdout, whatever its exit code.</summary>
    public string Curl(int node, params string[] args) =>
        Run("ip", ["netns", "exec", Ns(node), "curl", "--max-time", "10", .. args], TimeSpan.FromSeconds(20), check: false);

    /// <summary>
    /// HOCON to pass as <see cref="StartNode"/>'s <c>extra</c> for a cluster member: <see cref="LabConfig.ClusterHocon"/>,
    /// with mutual TLS by default (the lab's CA and node certificates, <see cref="Certificates"/>). Environment
    /// <c>LAB_CLUSTER_TLS=off</c> makes the default plain TCP, to measure a lab test both ways.
    /// </summary>
    public string ClusterHocon(int node, int voters, bool witness, bool tls = true) =>
        LabConfig.ClusterHocon(node, voters, witness, tls && DefaultTls ? Certificates(Math.Max(node, voters)) : null);

    private static bool DefaultTls => Environment.GetEnvironmentVariable("LAB_CLUSTER_TLS") != "off";

    /// <summary>
    /// The lab's certificate directory for <paramref name="caName"/> (lab.sh <c>lab_certs</c>: a CA and certificates for
    /// nodes 1..<paramref name="nodes"/>, made once and added to); another <paramref name="caName"/> is another CA.
    /// </summary>
    public string Certificates(int nodes, string caName = "set")
    {
        var dir = Path.Combine(OutDir, "certs-" + caName);
        Lab("lab_certs", dir, nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), $"redis-ha lab {caName} CA");
        return dir;
    }

    /// <summary>Runs <c>redis-ha ARGS</c> inside node's namespace (its endpoint is on that namespace's loopback); 60 s at most.</summary>
    public (int Exit, string Stdout, string Stderr) RedisHaCli(int node, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Ns(node), "dotnet", LabBinaries.CoordinatorDll(), .. args]) psi.ArgumentList.Add(a);
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

    /// <summary>Whether node's redis-ha process still runs.</summary>
    public bool NodeRunning(int node) => !_nodes[node].HasExited;

    /// <summary>Node i's exit code once its process has exited; null while it runs.</summary>
    public int? NodeExitCode(int node) => _nodes[node].HasExited ? _nodes[node].ExitCode : null;

    /// <summary>Node's console log (stdout and stderr) so far.</summary>
    public string NodeLog(int node) => Read(_logs[node]);

    /// <summary>Where every node's log stands now, to count what a fault changed (<see cref="FaultFigure.CountedSince"/>).</summary>
    public LogMark LogMark() => new(_logs.ToDictionary(kv => kv.Key, kv => { lock (kv.Value) return (kv.Value, kv.Value.Length); }));

    /// <summary>Every node's log text since <paramref name="mark"/>.</summary>
    public IEnumerable<string> LogsSince(LogMark mark) => mark.Since(_logs);

    /// <summary>Every redis-ha node log, then every keepalived log.</summary>
    public string AllLogs() => string.Join("\n",
        _logs.Keys.Select(k => $"--- node {k} ---\n{NodeLog(k)}")
            .Concat(_keepalivedLogs.Keys.Select(k => $"--- keepalived n{k} ---\n{KeepalivedLog(k)}")));

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

    /// <summary>
    /// The dotnet process of node's coordinator: the pid StartNode got (<c>ip netns exec</c> execs
    /// dotnet in place), or else a dotnet child of it.
    /// </summary>
    private int NodePid(int node)
    {
        if (!_nodes.TryGetValue(node, out var p) || p.HasExited) throw new InvalidOperationException($"node {node} is not running");
        var pid = p.Id;
        if (Comm(pid) == "dotnet") return pid;
        var children = NamespacePids(node).Where(c => Comm(c) == "dotnet" && ParentPid(c) == pid).ToArray();
        return children.Length == 1
            ? children[0]
            : throw new InvalidOperationException($"node {node}: no single dotnet process under pid {pid} (found {children.Length})");
    }

    private void DisposeNodes()
    {
        foreach (var p in _nodes.Values)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
    }
}
