using System.Diagnostics;
using RedisHaActors.Tests.Lab;

namespace RedisHaActors.Tests.Cli;

/// <summary>Runs the built <c>redis-ha</c> executable (Release, else Debug) and collects its output.</summary>
internal static class RedisHaProcess
{
    /// <summary>The path of the built redis-ha.dll.</summary>
    public static string Dll
    {
        get
        {
            var dll = Path.Combine(NamespaceLab.RepoRoot, "src/Coordinator/bin/Release/net10.0/redis-ha.dll");
            return File.Exists(dll) ? dll : dll.Replace("/Release/", "/Debug/");
        }
    }

    /// <summary>Runs <c>dotnet redis-ha.dll ARGS</c>, bounded to 60 s.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("redis-ha did not exit"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
