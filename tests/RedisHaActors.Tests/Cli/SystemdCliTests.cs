using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RedisHaActors.Tests.Cli;

/// <summary>
/// The node under systemd, without systemd: a notification socket the test listens on
/// (<c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c>) and a stdout that <c>JOURNAL_STREAM</c> names.
/// Nothing touches the network: the VRRP interface is absent (FAULT) and the cluster guard off.
/// </summary>
public sealed class SystemdCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-systemd-").FullName;

    private string Config(int redisPort, string extra = "")
    {
        var path = Path.Combine(_dir, "node.conf");
        File.WriteAllText(path, $$"""
            redis-ha {
              vrrp { interface = "rhnosuch0", virtual-ipaddress = ["192.0.2.100/24"] }
              redis { announce-host = "192.0.2.1", port = {{redisPort}}, check { interval = 3s, timeout = 2s } }
              status.listen = ""
              {{extra}}
            }
            """);
        return path;
    }

    [Fact]
    public void READY_comes_after_the_first_check_then_the_watchdog_is_fed_and_SIGTERM_says_STOPPING()
    {
        // A "Redis" that accepts and never answers: the first check ends only at its 2 s timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        TimeSpan? acceptedAt = null;
        var clock = Stopwatch.StartNew();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var s = await silent.AcceptSocketAsync();
                    lock (accepted)
                    {
                        accepted.Add(s);
                        acceptedAt ??= clock.Elapsed;
                    }
                }
            }
            catch (Exception) { /* listener stopped */ }
        });

        var socketPath = Path.Combine(_dir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<(TimeSpan At, string Text)>();
        _ = Task.Run(() =>
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = notify.Receive(buffer);
                    lock (messages) messages.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, n)));
                }
            }
            catch (Exception) { /* socket closed */ }
        });
        List<(TimeSpan At, string Text)> Snapshot() { lock (messages) return messages.ToList(); }

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { RedisHaProcess.Dll, "run", "--config", Config(((IPEndPoint)silent.LocalEndpoint).Port) }) psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        psi.Environment["WATCHDOG_USEC"] = "800000";
        using var p = new Process { StartInfo = psi };
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }
        try
        {
            Assert.True(SpinWait.SpinUntil(() => Snapshot().Count(m => m.Text.StartsWith("WATCHDOG=1", StringComparison.Ordinal)) >= 3, TimeSpan.FromSeconds(30)),
                $"no READY and three watchdog feeds within 30 s; got [{string.Join(" | ", Snapshot().Select(m => m.Text))}]\n{Output()}");
            var all = Snapshot();
            var ready = all[0];
            Assert.StartsWith("READY=1\nSTATUS=VRRP FAULT", ready.Text);
            Assert.Contains("not healthy", ready.Text);
            // Not before the first check's outcome: the silent Redis held it for its 2 s timeout.
            TimeSpan connected;
            lock (accepted) connected = acceptedAt ?? throw new Xunit.Sdk.XunitException("the node never connected to its Redis");
            Assert.True(ready.At - connected >= TimeSpan.FromSeconds(1.8),
                $"READY {(ready.At - connected).TotalSeconds:0.00} s after the check connected, before its 2 s timeout");
            Assert.DoesNotContain(all.Skip(1), m => m.Text.Contains("READY=1"));
            // Fed every WATCHDOG_USEC/4 = 200 ms: three feeds take at least 400 ms, well under the 800 ms timeout each.
            var feeds = all.Where(m => m.Text.StartsWith("WATCHDOG=1", StringComparison.Ordinal)).Select(m => m.At).ToList();
            for (var i = 1; i < feeds.Count; i++)
                Assert.InRange((feeds[i] - feeds[i - 1]).TotalMilliseconds, 100, 700);

            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit(5000);
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "redis-ha did not stop after SIGTERM");
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.True(SpinWait.SpinUntil(() => Snapshot().Any(m => m.Text == "STOPPING=1"), TimeSpan.FromSeconds(2)),
                $"no STOPPING=1; got [{string.Join(" | ", Snapshot().Select(m => m.Text))}]");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            silent.Stop();
            lock (accepted) accepted.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// Under journald every stdout line starts with its syslog priority, so <c>journalctl -p warning</c>
    /// finds the warnings; the same variable naming another stream (inherited) changes nothing.
    /// </summary>
    [Theory]
    [InlineData("text", true, @"^<4>redis-ha\.ha-node\[0\] cluster guard off")]
    [InlineData("json", true, @"^<4>\{""timestamp"":""[0-9T:.-]+Z"",""level"":""Warning"",""category"":""redis-ha\.ha-node"",""message"":""cluster guard off")]
    [InlineData("json", false, @"^\{""timestamp"":""[0-9T:.-]+Z"",""level"":""Warning"",""category"":""redis-ha\.ha-node"",""message"":""cluster guard off")]
    [InlineData("text", false, @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} warn: redis-ha\.ha-node\[0\] cluster guard off")]
    public void Log_lines_follow_log_format_and_carry_the_priority_into_the_journal(string format, bool journal, string warningLine)
    {
        var config = Config(1, $"log.format = {format}");
        // JOURNAL_STREAM names the shell's stdout (the pipe the test reads), which redis-ha inherits;
        // without the journal it names another inode, as for a child whose output goes elsewhere.
        var stream = journal ? "0:$(stat -L -c %i /proc/$$/fd/1)" : "0:1";
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", $"JOURNAL_STREAM={stream} exec dotnet \"$0\" run --config \"$1\"", RedisHaProcess.Dll, config })
            psi.ArgumentList.Add(a);
        using var p = new Process { StartInfo = psi };
        var lines = new List<string>();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        p.ErrorDataReceived += (_, _) => { };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        List<string> Snapshot() { lock (lines) return lines.ToList(); }
        try
        {
            Assert.True(SpinWait.SpinUntil(() => Snapshot().Any(l => l.Contains("check: INIT -> FAIL")), TimeSpan.FromSeconds(30)),
                $"no check line within 30 s:\n{string.Join('\n', Snapshot())}");
            var all = Snapshot();
            Assert.Contains(all, l => System.Text.RegularExpressions.Regex.IsMatch(l, warningLine));
            if (journal)
                Assert.All(all, l => Assert.Matches(format == "json" ? "^<[2-7]>\\{" : "^<[2-7]>[A-Za-z]", l));
            else
                Assert.DoesNotContain(all, l => l.StartsWith('<'));
            if (format == "json")
                Assert.Contains(all, l => l.Contains("\"level\":\"Information\"") && l.Contains("INITIALIZE -> BACKUP"));
        }
        finally
        {
            if (!p.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit(5000);
                if (!p.WaitForExit(TimeSpan.FromSeconds(30))) p.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
