using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// A <c>redis-ha run --config FILE</c> process with its stdout and stderr gathered as they come; disposing kills it (and
/// its children) if it still runs. <paramref name="shellPrefix"/> runs it through <c>sh -c "PREFIX exec dotnet …"</c> (for
/// example <c>trap '' HUP;</c>), so it keeps the shell's pid.
/// </summary>
internal sealed class RunningNode : IDisposable
{
    private readonly StringBuilder _output = new();

    public RunningNode(string config, string? shellPrefix = null)
    {
        var psi = shellPrefix is null
            ? new ProcessStartInfo("dotnet") { ArgumentList = { RedisHaProcess.Dll, "run", "--config", config } }
            : new ProcessStartInfo("sh") { ArgumentList = { "-c", shellPrefix + " exec dotnet \"$0\" run --config \"$1\"", RedisHaProcess.Dll, config } };
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        Process = new Process { StartInfo = psi };
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    /// <summary>The node's process.</summary>
    public Process Process { get; }

    /// <summary>Everything it printed so far.</summary>
    public string Log
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits, polling every 200 ms, until <paramref name="condition"/> holds; fails with the node's log when it
    /// exits first or <paramref name="max"/> passes.</summary>
    public void Until(Func<bool> condition, TimeSpan max, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (Process.HasExited) Assert.Fail($"{what}: the node exited with {Process.ExitCode}; its log:\n{Log}");
            if (clock.Elapsed > max) Assert.Fail($"{what}: not seen within {max.TotalSeconds} s; the node's log:\n{Log}");
            Thread.Sleep(200);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (kill -SIGNAL) to the node.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
        Assert.Equal(0, kill.ExitCode);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
