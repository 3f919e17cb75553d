using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>Debian's keepalived in the foreground in a node namespace, for interop tests.</summary>
public sealed partial class NamespaceLab
{
    private readonly Dictionary<int, Process> _keepalived = new();
    private readonly Dictionary<int, StringBuilder> _keepalivedLogs = new();

    /// <summary>
    /// Writes OutDir/keepalived-n{node}.conf (<see cref="LabConfig.KeepalivedConf"/>) and runs
    /// keepalived in node's namespace in the foreground (<c>keepalived -n -l -D -f CONF -p PID -r
    /// VRRP_PID -c CHECK_PID</c>, pid files in OutDir), its console log captured
    /// (<see cref="KeepalivedLog"/>). No vrrp_script is added, so a plain instance (interface,
    /// virtual_router_id, priority, advert_int, virtual_ipaddress) runs without any Redis check.
    /// </summary>
    public void StartKeepalived(int node, string vrrpInstanceBody, string globalDefs = "")
    {
        if (_keepalived.TryGetValue(node, out var previous))
        {
            if (!previous.HasExited) throw new InvalidOperationException($"keepalived in node {node} is still running");
            previous.Dispose();
        }
        var config = KeepalivedFile(node, "conf");
        File.WriteAllText(config, LabConfig.KeepalivedConf($"{Prefix}-n{node}", vrrpInstanceBody, globalDefs));
        foreach (var ext in new[] { "pid", "vrrp.pid", "checkers.pid" }) File.Delete(KeepalivedFile(node, ext));
        var log = new StringBuilder();
        _keepalived[node] = StartLogged(["netns", "exec", Ns(node), "keepalived", "-n", "-l", "-D", "-f", config,
            "-p", KeepalivedFile(node, "pid"), "-r", KeepalivedFile(node, "vrrp.pid"), "-c", KeepalivedFile(node, "checkers.pid")], log);
        _keepalivedLogs[node] = log;
    }

    private string KeepalivedFile(int node, string ext) => Path.Combine(OutDir, $"keepalived-n{node}.{ext}");

    /// <summary>keepalived's console log (stdout and stderr) in node so far.</summary>
    public string KeepalivedLog(int node) => Read(_keepalivedLogs[node]);

    /// <summary>Whether keepalived was started in node and its parent process still runs.</summary>
    public bool KeepalivedRunning(int node) => _keepalived.TryGetValue(node, out var p) && !p.HasExited;

    /// <summary>SIGTERM keepalived in node (priority-0 advert, VIP removed) and wait for it to exit.</summary>
    public void StopKeepalived(int node, TimeSpan timeout)
    {
        var p = _keepalived[node];
        Run("kill", ["-TERM", p.Id.ToString()], check: false);
        if (!p.WaitForExit(timeout)) throw new TimeoutException($"keepalived in node {node} did not exit within {timeout} after SIGTERM");
    }

    /// <summary>keepalived processes in node's namespace other than the parent we started (the VRRP and checker children).</summary>
    private int[] KeepalivedChildren(int node, Process parent)
    {
        int parentId;
        try { parentId = parent.Id; } catch (InvalidOperationException) { parentId = -1; }
        return NamespacePids(node).Where(pid => pid != parentId && Comm(pid) == "keepalived").ToArray();
    }

    private void DisposeKeepalived()
    {
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
    }
}
