using System.Diagnostics;
using System.Text;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// Start-up conditions that pass by themselves are states, not exits: the node keeps running (the
/// documented systemd unit would not restart an exit 3) and says so in one line.
/// </summary>
public sealed class StartupCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-start-").FullName;

    /// <summary>Runs <c>redis-ha run</c> for <paramref name="alive"/>, then SIGTERM; bounded to 30 s more.</summary>
    private (bool RanThrough, int Exit, string Stderr) RunFor(string config, TimeSpan alive)
    {
        var path = Path.Combine(_dir, "node.conf");
        File.WriteAllText(path, config);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { RedisHaProcess.Dll, "run", "--config", path }) psi.ArgumentList.Add(a);
        var stderr = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        try
        {
            var exitedEarly = p.WaitForExit(alive);
            if (!exitedEarly)
            {
                using var kill = Process.Start("kill", ["-TERM", p.Id.ToString()]);
                kill.WaitForExit(5000);
                if (!p.WaitForExit(TimeSpan.FromSeconds(30))) throw new TimeoutException("redis-ha did not stop after SIGTERM");
            }
            p.WaitForExit(); // drains the output readers
            lock (stderr) return (!exitedEarly, p.ExitCode, stderr.ToString());
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void An_absent_interface_is_one_warning_and_the_node_runs_in_FAULT_until_stopped()
    {
        // Nothing touches the network: the interface is absent, the cluster guard off.
        var (ranThrough, exit, stderr) = RunFor("""
            redis-ha {
              vrrp { interface = "rhnosuch0", virtual-ipaddress = ["192.0.2.100/24"] }
              redis.announce-host = "192.0.2.1"
              status.listen = ""
            }
            """, TimeSpan.FromSeconds(6));
        Assert.True(ranThrough, $"exited {exit} at start:\n{stderr}");
        Assert.Equal(0, exit);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("warning: rhnosuch0 does not exist (yet?): VRRP stays in FAULT", lines[0]);
        Assert.Contains("redis-ha.vrrp.interface", lines[0]);
    }

    [Fact]
    public void A_cluster_host_name_that_does_not_resolve_yet_is_waited_for_not_an_exit()
    {
        var (ranThrough, exit, stderr) = RunFor("""
            redis-ha {
              node { name = "w", role = witness }
              status.listen = ""
            }
            akka.remote.dot-netty.tcp { hostname = "rh-not-yet.invalid", port = 47999 }
            akka.cluster.seed-nodes = ["akka.tcp://redis-ha@rh-not-yet.invalid:47999", "akka.tcp://redis-ha@127.0.0.2:47999", "akka.tcp://redis-ha@127.0.0.3:47999"]
            """, TimeSpan.FromSeconds(4));
        Assert.True(ranThrough, $"exited {exit} at start:\n{stderr}");
        Assert.Equal(0, exit);
        // Said once (then every 30 s), not once a second.
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("rh-not-yet.invalid does not resolve", line);
        Assert.Contains("waiting for the cluster address rh-not-yet.invalid:47999", line);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
