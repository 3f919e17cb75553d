using System.Diagnostics;
using System.Text;
using RedisHaActors.Tests.Status;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// SIGHUP reaches a running node even when the process that started it ignored SIGHUP (nohup, some supervisors):
/// .NET installs no handler for an inherited SIG_IGN, and a reload signal was dropped with no trace (a lab run under
/// nohup lost every <c>kill -HUP</c>). A witness on loopback, its own only voter, refuses the reload in its log.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HangupCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-hangup-").FullName;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_SIGHUP_reaches_the_node_even_when_its_parent_ignored_SIGHUP(bool parentIgnores)
    {
        var port = StatusTestNode.FreePort();
        var config = Path.Combine(_dir, "w.conf");
        File.WriteAllText(config, $$"""
            redis-ha {
              node { name = "w", role = witness }
              status.listen = ""
            }
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@127.0.0.1:{{port}}"]
            """);
        var output = new StringBuilder();
        // sh sets SIGHUP's disposition (trap "" = SIG_IGN, as nohup does) and execs: the node keeps sh's pid.
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", (parentIgnores ? "trap '' HUP; " : "") + "exec dotnet \"$0\" run --config \"$1\"", RedisHaProcess.Dll, config })
            psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            Until(() => Log(output).Contains("quorum gained", StringComparison.Ordinal), TimeSpan.FromSeconds(40), "the witness is up", p, output);
            Signal(p.Id);
            Until(() => Log(output).Contains("reload refused: a witness applies no key at runtime", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
                "the witness's answer to SIGHUP", p, output);
            Assert.Equal(parentIgnores, Log(output).Contains("SIGHUP was ignored by the process that started this node", StringComparison.Ordinal));
            Thread.Sleep(500);
            Assert.False(p.HasExited, "the witness is still running");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    private static void Signal(int pid)
    {
        using var kill = Process.Start("kill", ["-HUP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
        Assert.Equal(0, kill.ExitCode);
    }

    private static string Log(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static void Until(Func<bool> condition, TimeSpan max, string what, Process p, StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (p.HasExited) Assert.Fail($"{what}: the witness exited with {p.ExitCode}; its log:\n{Log(output)}");
            if (clock.Elapsed > max) Assert.Fail($"{what}: not seen within {max.TotalSeconds} s; the witness's log:\n{Log(output)}");
            Thread.Sleep(200);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
