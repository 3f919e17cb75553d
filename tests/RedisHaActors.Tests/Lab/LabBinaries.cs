namespace RedisHaActors.Tests.Lab;

/// <summary>Where the lab finds the repository and the built programs it runs (Release first, then Debug).</summary>
public static class LabBinaries
{
    /// <summary>The repository root (the directory holding RedisHaActors.sln), found upwards from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The built redis-ha.dll; throws when it is not built.</summary>
    public static string CoordinatorDll() => Built("src/Coordinator", "redis-ha.dll");

    /// <summary>
    /// The redis-server the lab and the loopback tests start: <c>$LAB_REDIS_BIN/redis-server</c> when
    /// <c>LAB_REDIS_BIN</c> names the directory of another Redis build (bench/redis-versions.sh runs the lab against
    /// Redis 6.2 so), else the one on PATH. lab/lab.sh reads the same variable for the Redis it starts.
    /// </summary>
    public static string RedisServer { get; } = RedisTool("redis-server");

    /// <summary>The redis-cli that goes with <see cref="RedisServer"/>.</summary>
    public static string RedisCli { get; } = RedisTool("redis-cli");

    /// <summary>The first line of <c>redis-server --version</c> of <see cref="RedisServer"/>, e.g. "Redis server v=6.2.16 ...".</summary>
    public static string RedisVersion => LazyVersion.Value;

    private static readonly Lazy<string> LazyVersion = new(() => NamespaceLab.Run(RedisServer, ["--version"]).Split('\n')[0].Trim());

    /// <summary>
    /// redis-server arguments that allow DEBUG (SLEEP, the lab's hang): Redis 7 refuses it unless enabled, Redis 6.2
    /// always allows it and knows no such option (it would not start with it).
    /// </summary>
    public static string[] EnableDebugCommand => RedisVersion.Contains(" v=6.", StringComparison.Ordinal) ? [] : ["--enable-debug-command", "yes"];

    private static string RedisTool(string name) =>
        Environment.GetEnvironmentVariable("LAB_REDIS_BIN") is { Length: > 0 } dir ? Path.Combine(dir, name) : name;

    /// <summary>The built labwriter.dll (lab/writer); throws when it is not built.</summary>
    public static string WriterDll() => Built("lab/writer", "labwriter.dll");

    /// <summary>The last release that landed before this one (the previous session's stop); raise it with each release.</summary>
    public const string PreviousRelease = "af86d7b62105285a55ef2ad92778479f0868a046";

    /// <summary>
    /// The coordinator as the previous release built it, for rolling-upgrade tests: <c>$REDIS_HA_PREVIOUS_DLL</c> if set,
    /// else the tree of <see cref="PreviousRelease"/> (or, where the clone lacks it, of <c>git merge-base HEAD main</c>,
    /// HEAD~1 on main itself) exported with <c>git archive</c> to <c>/tmp/redis-ha-previous-SHA</c> and built there once
    /// (about 1.5 min; kept for later runs). Throws when git or the build fails.
    /// </summary>
    public static string PreviousCoordinatorDll()
    {
        if (Environment.GetEnvironmentVariable("REDIS_HA_PREVIOUS_DLL") is { Length: > 0 } given) return given;
        var head = NamespaceLab.Run("git", ["-C", RepoRoot, "rev-parse", "HEAD"]).Trim();
        var release = NamespaceLab.Run("git", ["-C", RepoRoot, "rev-parse", "--verify", "--quiet", PreviousRelease + "^{commit}"], check: false).Trim();
        var baseCommit = release.Length > 0 && release != head
            ? release
            : NamespaceLab.Run("git", ["-C", RepoRoot, "merge-base", "HEAD", "main"], check: false).Trim();
        if (baseCommit.Length == 0 || baseCommit == head) baseCommit = NamespaceLab.Run("git", ["-C", RepoRoot, "rev-parse", "HEAD~1"]).Trim();
        var dir = $"/tmp/redis-ha-previous-{baseCommit[..7]}";
        var dll = Path.Combine(dir, "src/Coordinator/bin/Release/net10.0/redis-ha.dll");
        if (File.Exists(dll)) return dll;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        NamespaceLab.Run("sh", ["-c", $"git -C '{RepoRoot}' archive {baseCommit} | tar -x -C '{dir}'"], TimeSpan.FromMinutes(2));
        NamespaceLab.Run("dotnet", ["build", Path.Combine(dir, "src/Coordinator/Coordinator.csproj"), "-c", "Release", "-nologo", "-v", "q"], TimeSpan.FromMinutes(10));
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"the previous build ({baseCommit}) did not produce {dll}");
    }

    private static string Built(string project, string dll)
    {
        foreach (var config in new[] { "Release", "Debug" })
        {
            var path = Path.Combine(RepoRoot, project, "bin", config, "net10.0", dll);
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException($"{dll} is not built; run `dotnet build -c Release` at the repository root");
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RedisHaActors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
