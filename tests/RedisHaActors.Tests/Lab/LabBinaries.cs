namespace RedisHaActors.Tests.Lab;

/// <summary>Where the lab finds the repository and the built programs it runs (Release first, then Debug).</summary>
public static class LabBinaries
{
    /// <summary>The repository root (the directory holding RedisHaActors.sln), found upwards from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The built redis-ha.dll; throws when it is not built.</summary>
    public static string CoordinatorDll() => Built("src/Coordinator", "redis-ha.dll");

    /// <summary>The built labwriter.dll (lab/writer); throws when it is not built.</summary>
    public static string WriterDll() => Built("lab/writer", "labwriter.dll");

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
