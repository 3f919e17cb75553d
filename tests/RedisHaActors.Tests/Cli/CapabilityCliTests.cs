using System.Diagnostics;

namespace RedisHaActors.Tests.Cli;

/// <summary>A node that cannot manage its VIP is found at start, not after it became MASTER.</summary>
public sealed class CapabilityCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redis-ha-cap-").FullName;

    [Fact]
    public async Task Run_without_CAP_NET_ADMIN_exits_3_with_one_line_naming_the_capability()
    {
        // Loopback only: the raw socket opens (CAP_NET_RAW kept), the stale-VIP removal is refused.
        var config = Path.Combine(_dir, "nocap.conf");
        File.WriteAllText(config, """
            redis-ha {
              vrrp { interface = "lo", virtual-ipaddress = ["192.0.2.100/24"] }
              status.listen = ""
            }
            """);
        var psi = new ProcessStartInfo("capsh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--drop=cap_net_admin", "--", "-c", $"exec dotnet {RedisHaProcess.Dll} run --config {config}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(20_000))
        {
            p.Kill(true);
            Assert.Fail("redis-ha kept running without CAP_NET_ADMIN (it would hold MASTER without its VIP)");
        }
        var errors = await stderr;
        Assert.Equal(3, p.ExitCode);
        Assert.Contains("CAP_NET_ADMIN", errors);
        Assert.Contains("operation not permitted", errors);
        Assert.Single(errors.Trim().Split('\n'));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
