using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using RedisHaActors.Tests.Lab;

namespace RedisHaActors.Tests.Packaging;

/// <summary>
/// packaging/build-deb.sh end to end, on this machine (root): build, contents, install with dpkg,
/// the installed command and unit, an upgrade that keeps an edited configuration, purge. One test,
/// because the self-contained publish takes a minute or two. In the lab collection so the publish
/// does not load the cores under the timing-sensitive lab tests. Everything it installs is purged,
/// and a user it made removed, even when it fails.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class DebianPackageTests : IDisposable
{
    private const string Package = "redis-ha";
    private const string Conf = "/etc/redis-ha/redis-ha.conf";
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-deb-").FullName;
    private readonly bool _userExisted = Run("getent", "passwd", "redis-ha").Exit == 0;

    [Fact]
    public void The_package_builds_installs_upgrades_keeping_the_edited_config_and_purges()
    {
        // Never take over (and purge) a real installation.
        Assert.False(Run("dpkg-query", "-W", "-f=${Status}", Package).Stdout.Replace("not-installed", "").Contains("installed"),
            "redis-ha is installed on this machine; the test would purge it");

        var build = Run(TimeSpan.FromMinutes(9), Path.Combine(NamespaceLab.RepoRoot, "packaging/build-deb.sh"),
            "-o", _dir, "--version", "0.0.1~test1", "--compress", "zstd");
        Assert.True(build.Exit == 0, $"build-deb.sh exited {build.Exit}:\n{build.Stderr}");
        var deb = build.Stdout.Trim();
        Assert.Equal(Path.Combine(_dir, "redis-ha_0.0.1~test1_amd64.deb"), deb);

        // Contents and metadata.
        var contents = Run("dpkg-deb", "-c", deb).Stdout;
        var paths = contents.Split('\n').Select(l => Regex.Match(l, @" \./(\S+)").Groups[1].Value).ToHashSet();
        foreach (var path in new[] { "usr/lib/redis-ha/redis-ha", "usr/lib/redis-ha/libcoreclr.so", "usr/lib/systemd/system/redis-ha.service",
                     Conf[1..], "usr/share/man/man8/redis-ha.8.gz", "usr/share/man/man5/redis-ha.conf.5.gz" })
            Assert.Contains(path, paths);
        Assert.Matches(@"lrwxrwxrwx root/root .* \./usr/bin/redis-ha -> \.\./lib/redis-ha/redis-ha", contents);
        Assert.DoesNotContain(".pdb", contents);
        Assert.Equal(Conf, ExtractConffiles(deb));
        var depends = Run("dpkg-deb", "-f", deb, "Depends").Stdout;
        Assert.Contains("libpcap0.8", depends);
        Assert.DoesNotContain("dotnet", depends);

        try
        {
            var install = Run(TimeSpan.FromMinutes(2), "dpkg", "-i", deb);
            Assert.True(install.Exit == 0, $"dpkg -i exited {install.Exit}:\n{install.Stdout}\n{install.Stderr}");

            // The command in the PATH (self-contained: no dotnet involved), the sample accepted. Started by
            // its full path: Process.Start looks in the working directory first, where the tests have a redis-ha.
            Assert.Equal("/usr/bin/redis-ha", Run("sh", "-c", "command -v redis-ha").Stdout.Trim());
            var check = Run("/usr/bin/redis-ha", "check-config", "--config", Conf);
            Assert.True(check.Exit == 0, $"check-config of the sample exited {check.Exit}:\n{check.Stderr}");
            Assert.Contains("ok", check.Stdout);
            // The node's user reads its file; other users cannot (it may hold the Redis password).
            var asNode = Run("runuser", "-u", "redis-ha", "--", "redis-ha", "check-config", "--config", Conf);
            Assert.True(asNode.Exit == 0, $"check-config as redis-ha exited {asNode.Exit}:\n{asNode.Stderr}");
            Assert.NotEqual(0, Run("runuser", "-u", "nobody", "--", "cat", Conf).Exit);
            Assert.Equal("/usr/sbin/nologin", Run("getent", "passwd", "redis-ha").Stdout.Trim().Split(':')[6]);

            // The unit as installed passes systemd's own checks (its man pages resolve too).
            var verify = Run("systemd-analyze", "verify", "/usr/lib/systemd/system/redis-ha.service");
            Assert.True(verify.Exit == 0 && verify.Stderr.Trim().Length == 0, $"systemd-analyze verify exited {verify.Exit}:\n{verify.Stderr}");

            // The key table of redis-ha.conf(5) is README's: every key row, no other.
            var manConf = Gunzip("/usr/share/man/man5/redis-ha.conf.5.gz");
            var readmeKeys = ReadmeKeyRows();
            Assert.Contains("log.format", string.Join(" ", readmeKeys));
            foreach (var key in readmeKeys)
                Assert.Contains($"\\fB{key.Replace("-", "\\-")}\\fR", manConf);
            Assert.Contains(".SH EXIT STATUS", Gunzip("/usr/share/man/man8/redis-ha.8.gz"));

            // The installed build runs as the unit runs it: user redis-ha, only CAP_NET_RAW and
            // CAP_NET_ADMIN, no new privileges; in a namespace of its own it takes the VIP. This
            // also edits the configuration for the upgrade below.
            RunsAsTheUnprivilegedUserAndTakesTheVip();

            // Upgrade to a newer build: the edited configuration stays.
            File.AppendAllText(Conf, "\n# edited by the operator\n");
            var newer = Repack(deb, "0.0.1~test2");
            var upgrade = Run(TimeSpan.FromMinutes(2), "dpkg", "-i", newer);
            Assert.True(upgrade.Exit == 0, $"the upgrade exited {upgrade.Exit}:\n{upgrade.Stdout}\n{upgrade.Stderr}");
            Assert.Equal("0.0.1~test2", Run("dpkg-query", "-W", "-f=${Version}", Package).Stdout);
            Assert.Contains("# edited by the operator", File.ReadAllText(Conf));
            Assert.Equal(0, Run("/usr/bin/redis-ha", "check-config", "--config", Conf).Exit);

            var purge = Run(TimeSpan.FromMinutes(2), "dpkg", "--purge", Package);
            Assert.True(purge.Exit == 0, $"dpkg --purge exited {purge.Exit}:\n{purge.Stderr}");
            Assert.False(Directory.Exists("/etc/redis-ha"), "/etc/redis-ha is left after purge");
            Assert.False(Directory.Exists("/usr/lib/redis-ha"), "/usr/lib/redis-ha is left after purge");
            Assert.False(File.Exists("/usr/bin/redis-ha"), "/usr/bin/redis-ha is left after purge");
            Assert.DoesNotContain("/etc/redis-ha", Run("dpkg-statoverride", "--list").Stdout);
            var status = Run("dpkg-query", "-W", "-f=${Status}", Package).Stdout;
            Assert.DoesNotContain("installed", status.Replace("not-installed", ""));
            Assert.DoesNotContain("config-files", status);
        }
        finally
        {
            Run(TimeSpan.FromMinutes(2), "dpkg", "--purge", Package);
            if (!_userExisted) Run("userdel", "redis-ha");
        }
    }

    private static void RunsAsTheUnprivilegedUserAndTakesTheVip()
    {
        var ns = $"rhpkg{Environment.ProcessId % 100000}";
        File.WriteAllText(Conf, """
            redis-ha {
              node.name = "pkg"
              vrrp { interface = "rhd0", priority = 200, advert-interval = 100ms, virtual-ipaddress = ["192.0.2.100/24"] }
              redis { port = 6390, check { interval = 200ms, timeout = 200ms, rise = 1 } }
              status.listen = ""
            }
            """);
        Process? redis = null, node = null;
        try
        {
            var setup = Run("sh", "-c", $"ip netns add {ns} && ip -n {ns} link set lo up && ip -n {ns} link add rhd0 type veth peer name rhd1 && ip -n {ns} link set rhd1 up && " +
                                        $"ip -n {ns} addr add 192.0.2.1/24 dev rhd0 && ip -n {ns} link set rhd0 up");
            Assert.True(setup.Exit == 0, setup.Stderr);
            redis = Start("ip", "netns", "exec", ns, "redis-server", "--port", "6390", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no");
            node = Start("ip", "netns", "exec", ns, "setpriv", "--reuid=redis-ha", "--regid=redis-ha", "--clear-groups", "--no-new-privs",
                "--inh-caps=-all,+net_raw,+net_admin", "--ambient-caps=-all,+net_raw,+net_admin", "--bounding-set=-all,+net_raw,+net_admin",
                "/usr/bin/redis-ha", "run", "--config", Conf);
            Assert.True(SpinWait.SpinUntil(() => Run("ip", "-n", ns, "-4", "addr", "show", "rhd0").Stdout.Contains("192.0.2.100/24"), TimeSpan.FromSeconds(30)),
                $"the node did not take the VIP within 30 s:\n{Drain(node)}");
            var pid = NodePid(node.Id);
            var status = File.ReadAllText($"/proc/{pid}/status");
            var uid = Run("id", "-u", "redis-ha").Stdout.Trim();
            Assert.Matches($@"(?m)^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status);
            // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), nothing else.
            Assert.Matches(@"(?m)^CapEff:\s+0000000000003000$", status);
            Assert.Matches(@"(?m)^NoNewPrivs:\s+1$", status);

            Assert.Equal(0, Run("kill", "-TERM", pid.ToString()).Exit);
            Assert.True(node.WaitForExit(TimeSpan.FromSeconds(30)), "the node did not stop after SIGTERM");
            node.WaitForExit();
            Assert.True(node.ExitCode == 0, $"the node exited {node.ExitCode}:\n{Drain(node)}");
            Assert.DoesNotContain("192.0.2.100", Run("ip", "-n", ns, "-4", "addr", "show", "rhd0").Stdout);
        }
        finally
        {
            foreach (var p in new[] { node, redis })
            {
                if (p is null) continue;
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
                p.Dispose();
            }
            Run("ip", "netns", "del", ns);
        }
    }

    /// <summary>The redis-ha process under <c>ip netns exec</c> and <c>setpriv</c> (the same process when they exec, else a child).</summary>
    private static int NodePid(int started)
    {
        for (var pid = started; ;)
        {
            if (new FileInfo($"/proc/{pid}/exe").LinkTarget == "/usr/lib/redis-ha/redis-ha") return pid;
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(children.Length == 1, $"process {pid} is not redis-ha and has {children.Length} children");
            pid = int.Parse(children[0]);
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var output = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        Outputs.Add(p, output);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Process, System.Text.StringBuilder> Outputs = new();

    private static string Drain(Process p)
    {
        if (!Outputs.TryGetValue(p, out var output)) return "";
        lock (output) return output.ToString();
    }

    private string ExtractConffiles(string deb)
    {
        var control = Path.Combine(_dir, "control");
        Assert.Equal(0, Run("dpkg-deb", "-e", deb, control).Exit);
        return File.ReadAllText(Path.Combine(control, "conffiles")).Trim();
    }

    /// <summary>The same package under a newer version: an upgrade as dpkg sees it, without a second publish.</summary>
    private string Repack(string deb, string version)
    {
        var tree = Path.Combine(_dir, "repack");
        Assert.Equal(0, Run("dpkg-deb", "-R", deb, tree).Exit);
        var control = Path.Combine(tree, "DEBIAN/control");
        File.WriteAllText(control, Regex.Replace(File.ReadAllText(control), "^Version: .*$", $"Version: {version}", RegexOptions.Multiline));
        var newer = Path.Combine(_dir, $"redis-ha_{version}_amd64.deb");
        var build = Run(TimeSpan.FromMinutes(2), "dpkg-deb", "--root-owner-group", "-Zzstd", "-b", tree, newer);
        Assert.True(build.Exit == 0, build.Stderr);
        return newer;
    }

    /// <summary>Each key (`code` span) in the first cell of README's configuration key table.</summary>
    private static List<string> ReadmeKeyRows()
    {
        var keys = File.ReadAllLines(Path.Combine(NamespaceLab.RepoRoot, "README.md"))
            .SkipWhile(l => !l.StartsWith("| key | default |", StringComparison.Ordinal)).Skip(2)
            .TakeWhile(l => l.StartsWith('|'))
            .SelectMany(l => Regex.Matches(l.Split('|')[1], "`([^`]+)`").Select(m => m.Groups[1].Value))
            .ToList();
        Assert.True(keys.Count > 20, $"README's key table has {keys.Count} keys");
        return keys;
    }

    private static string Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd();
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args) => Run(TimeSpan.FromSeconds(60), file, args);

    private static (int Exit, string Stdout, string Stderr) Run(TimeSpan limit, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit}");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
