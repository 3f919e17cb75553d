using System.Diagnostics;
using System.Globalization;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Faults: kill -9 (node, Redis, keepalived), SIGSTOP (node, Redis), switch-port isolation, link down, VRRP-only
/// and other iptables blocks, one slowed TCP stream. Each reversible one is undone by its pair and, if still in place, by
/// <see cref="UndoFaults"/> on dispose (the rules would die with the namespaces anyway, but a frozen
/// process must be thawed before it can be killed).
/// </summary>
public sealed partial class NamespaceLab
{
    private readonly Dictionary<int, int> _frozen = new();
    private readonly HashSet<int> _vrrpBlocked = new();
    private readonly HashSet<int> _isolated = new();
    private readonly HashSet<int> _linksDown = new();
    private readonly List<(int Node, string[] Match)> _inputBlocks = new();
    private readonly HashSet<int> _throttled = new();
    private readonly HashSet<int> _redisPaused = new();

    /// <summary>kill -9 of node's redis-ha process (no priority-0 advert, the VIP stays until its lease lapses).</summary>
    public void KillNode(int node) => _nodes[node].Kill(entireProcessTree: true);

    /// <summary>
    /// kill -9 of node's redis-ha and redis-server at the same moment (the article's case 1: the host's
    /// processes die together). Two separate kills leave the Redis alive for as long as a bash start takes,
    /// which on a loaded host outlasts Master_Down_Interval, and the peer then catches up with it instead.
    /// </summary>
    public void KillNodeAndRedis(int node)
    {
        var pidFile = Path.Combine(OutDir, $"redis-n{node}.pid");
        var redis = File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)
                    && File.Exists($"/proc/{pid}/comm") && File.ReadAllText($"/proc/{pid}/comm").StartsWith("redis-server", StringComparison.Ordinal)
            ? Process.GetProcessById(pid)
            : null;
        _nodes[node].Kill(entireProcessTree: true);
        try { redis?.Kill(); } catch (InvalidOperationException) { /* already gone */ }
        // Waits until it is gone and removes its pid file.
        KillRedis(node);
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. <c>HUP</c>) to node's redis-ha process.</summary>
    public void SignalNode(int node, string signal) => Run("kill", [$"-{signal}", NodePid(node).ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>kill -9 of node's redis-server (lab.sh's lab_redis_kill).</summary>
    public void KillRedis(int node) => Lab("lab_redis_kill", Prefix, node.ToString(), OutDir);

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

    /// <summary>SIGSTOP node's redis-server (lab.sh's lab_redis_pause): a hung Redis, connections accepted, no reply.</summary>
    public void PauseRedis(int node)
    {
        _redisPaused.Add(node);
        Lab("lab_redis_pause", Prefix, node.ToString(CultureInfo.InvariantCulture), OutDir);
    }

    /// <summary>SIGCONT node's redis-server (undoes <see cref="PauseRedis"/>).</summary>
    public void ResumeRedis(int node)
    {
        Lab("lab_redis_resume", Prefix, node.ToString(CultureInfo.InvariantCulture), OutDir);
        _redisPaused.Remove(node);
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

    /// <summary>Disables node's switch port (carrier kept: the node does not see its link go down).</summary>
    public void Isolate(int node)
    {
        _isolated.Add(node);
        Lab("lab_isolate", Prefix, node.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Enables node's switch port again (undoes <see cref="Isolate"/>).</summary>
    public void Rejoin(int node)
    {
        Lab("lab_rejoin", Prefix, node.ToString(CultureInfo.InvariantCulture));
        _isolated.Remove(node);
    }

    /// <summary>Sets node's switch-side veth down: the node's eth0 loses carrier (unlike <see cref="Isolate"/>).</summary>
    public void LinkDown(int node)
    {
        _linksDown.Add(node);
        Run("ip", ["-n", $"{Prefix}sw", "link", "set", SwitchPort(node), "down"]);
    }

    /// <summary>Sets node's switch-side veth up again (undoes <see cref="LinkDown"/>).</summary>
    public void LinkUp(int node)
    {
        Run("ip", ["-n", $"{Prefix}sw", "link", "set", SwitchPort(node), "up"]);
        _linksDown.Remove(node);
    }

    private string SwitchPort(int node) => Lab("lab_port", Prefix, node.ToString(CultureInfo.InvariantCulture)).Trim();

    /// <summary>Drops IP protocol 112 (VRRP) in and out of node's namespace (iptables); idempotent.</summary>
    public void BlockVrrp(int node)
    {
        _vrrpBlocked.Add(node);
        Lab("lab_vrrp_block", Prefix, node.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Removes the VRRP block of <see cref="BlockVrrp"/>; fine when there is none.</summary>
    public void UnblockVrrp(int node)
    {
        Lab("lab_vrrp_unblock", Prefix, node.ToString(CultureInfo.InvariantCulture));
        _vrrpBlocked.Remove(node);
    }

    /// <summary>
    /// Drops the incoming packets that match <paramref name="match"/> (iptables match arguments, e.g.
    /// <c>-p tcp -s 192.0.2.1 --sport 6379</c>) in node's namespace: a rule inserted first in INPUT.
    /// </summary>
    public void BlockInput(int node, params string[] match)
    {
        Run("ip", ["netns", "exec", Ns(node), "iptables", "-w", "5", "-I", "INPUT", .. match, "-j", "DROP"]);
        _inputBlocks.Add((node, match));
    }

    /// <summary>Removes one rule added by <see cref="BlockInput"/> with the same arguments; fine when there is none.</summary>
    public void UnblockInput(int node, params string[] match)
    {
        Run("ip", ["netns", "exec", Ns(node), "iptables", "-w", "5", "-D", "INPUT", .. match, "-j", "DROP"], check: false);
        var i = _inputBlocks.FindIndex(b => b.Node == node && b.Match.SequenceEqual(match));
        if (i >= 0) _inputBlocks.RemoveAt(i);
    }

    /// <summary>
    /// Slows one TCP stream leaving node's eth0 to <paramref name="kbit"/> kbit/s, everything else unlimited (tc htb: the
    /// stream, matched by destination address and both ports, in a class of its own): a long transfer on a slow path
    /// that leaves VRRP, the cluster and every other connection of the node as they were. One per node.
    /// </summary>
    public void Throttle(int node, string destination, int sourcePort, int destinationPort, int kbit)
    {
        _throttled.Add(node);
        string[] tc = ["-n", Ns(node)];
        Run("tc", [.. tc, "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "10"]);
        Run("tc", [.. tc, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit", "quantum", "60000"]);
        Run("tc", [.. tc, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:20", "htb",
            "rate", $"{kbit.ToString(CultureInfo.InvariantCulture)}kbit", "quantum", "1514"]);
        Run("tc", [.. tc, "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
            "match", "ip", "dst", $"{destination}/32",
            "match", "ip", "sport", sourcePort.ToString(CultureInfo.InvariantCulture), "0xffff",
            "match", "ip", "dport", destinationPort.ToString(CultureInfo.InvariantCulture), "0xffff", "flowid", "1:20"]);
    }

    /// <summary>Removes <see cref="Throttle"/>'s shaping from node's eth0; fine when there is none.</summary>
    public void Unthrottle(int node)
    {
        Run("tc", ["-n", Ns(node), "qdisc", "del", "dev", "eth0", "root"], check: false);
        _throttled.Remove(node);
    }

    /// <summary>
    /// Undoes every fault still in place (thaw, resume, rejoin, link up, unblock, unthrottle); best effort, never throws.
    /// Called first thing in <see cref="Dispose"/>.
    /// </summary>
    private void UndoFaults()
    {
        foreach (var node in _frozen.Keys.ToArray())
            try { Thaw(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _redisPaused.ToArray())
            try { ResumeRedis(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _isolated.ToArray())
            try { Rejoin(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _linksDown.ToArray())
            try { LinkUp(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _vrrpBlocked.ToArray())
            try { UnblockVrrp(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var (node, match) in _inputBlocks.ToArray())
            try { UnblockInput(node, match); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        foreach (var node in _throttled.ToArray())
            try { Unthrottle(node); } catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
    }
}
