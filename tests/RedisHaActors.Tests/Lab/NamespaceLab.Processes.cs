using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>Child processes: run one to completion, start one with its output logged, look processes up in /proc.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> (30 s unless <paramref name="timeout"/>);
    /// returns stdout. Throws TimeoutException (after killing it) when it does not finish, and
    /// InvalidOperationException on a non-zero exit when <paramref name="check"/>.
    /// </summary>
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

    /// <summary>Text of a log filled by <see cref="StartLogged"/>, read under its lock.</summary>
    private static string Read(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    /// <summary>Pids of the processes in node's namespace (<c>ip netns pids</c>).</summary>
    private int[] NamespacePids(int node) =>
        Run("ip", ["netns", "pids", Ns(node)], check: false)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out var pid) ? pid : -1)
            .Where(pid => pid > 0)
            .ToArray();

    /// <summary>A process's command name (/proc/PID/comm), or null when it is gone.</summary>
    private static string? Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A process's parent pid (/proc/PID/status), or -1 when it is gone.</summary>
    private static int ParentPid(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            return line is not null && int.TryParse(line["PPid:".Length..].Trim(), out var ppid) ? ppid : -1;
        }
        catch (IOException) { return -1; }
    }
}
