using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace RedisHaActors.Configuration;

/// <summary>
/// Reads node files: HOCON with <c>include "file"</c> resolved relative to the including
/// file, the embedded <c>reference.conf</c> as fallback, and no key under <c>redis-ha</c>
/// that the reference does not know (a typo must not silently fall back to a default).
/// </summary>
public static class HoconLoader
{
    private const int MaxIncludeDepth = 16;

    /// <summary>The embedded defaults.</summary>
    public static Config Reference { get; } = LoadReference();

    private static Config LoadReference()
    {
        using var stream = typeof(HoconLoader).Assembly.GetManifestResourceStream("RedisHaActors.reference.conf")
            ?? throw new InvalidOperationException("reference.conf is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Loads a node file over the reference.</summary>
    /// <param name="path">The node file.</param>
    /// <param name="filesRead">Receives the full path of the node file and of every file it includes; optional.</param>
    /// <exception cref="ConfigurationException">Unreadable file, syntax error, or unknown key.</exception>
    public static Config LoadFile(string path, ICollection<string>? filesRead = null)
    {
        var full = Path.GetFullPath(path);
        var text = ReadFile(full, path);
        filesRead?.Add(full);
        return LoadText(text, Path.GetDirectoryName(full)!, full, filesRead);
    }

    /// <summary>Parses HOCON text over the reference.</summary>
    /// <param name="text">The node file's text.</param>
    /// <param name="baseDirectory">Where relative includes are found.</param>
    /// <param name="origin">Names the text in errors.</param>
    /// <param name="filesRead">Receives the full path of every included file; optional.</param>
    /// <exception cref="ConfigurationException">Syntax error, bad include, or unknown key.</exception>
    public static Config LoadText(string text, string baseDirectory, string origin, ICollection<string>? filesRead = null)
    {
        Config user;
        try
        {
            user = new Config(Parser.Parse(text, IncludeCallback(baseDirectory, 0, filesRead)));
        }
        catch (ConfigurationException) { throw; }
        catch (Exception e)
        {
            throw new ConfigurationException(origin, null, $"not valid HOCON: {FirstLine(e.Message)}");
        }
        RejectUnknownKeys(user);
        return user.WithFallback(Reference);
    }

    /// <summary>
    /// Only the <c>akka</c> section of <paramref name="merged"/>, still rooted at <c>akka</c>: what
    /// Akka is given. The <c>redis-ha</c> keys (the Redis password among them) never reach Akka's
    /// configuration, which Akka prints whole with <c>akka.log-config-on-start</c>.
    /// </summary>
    /// <param name="merged">A loaded node file (over the reference).</param>
    /// <returns>The <c>akka</c> section; <see cref="Config.Empty"/> when there is none.</returns>
    public static Config AkkaSection(Config merged)
    {
        var akka = merged.GetConfig("akka");
        if (akka is null || akka.IsEmpty) return Config.Empty;
        var rootObject = new HoconObject();
        rootObject.Items["akka"] = akka.Root;
        var root = new HoconValue();
        root.NewValue(rootObject);
        return new Config(new HoconRoot(root));
    }

    private static Func<string, HoconRoot> IncludeCallback(string baseDirectory, int depth, ICollection<string>? filesRead) => name =>
    {
        if (depth >= MaxIncludeDepth)
            throw new ConfigurationException(name, null, $"includes nested deeper than {MaxIncludeDepth}");
        var trimmed = name.Trim().Trim('"');
        var full = Path.GetFullPath(Path.Combine(baseDirectory, trimmed));
        var text = ReadFile(full, trimmed);
        filesRead?.Add(full);
        return Parser.Parse(text, IncludeCallback(Path.GetDirectoryName(full)!, depth + 1, filesRead));
    };

    private static string ReadFile(string full, string shown)
    {
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigurationException(shown, null, $"cannot read file: {FirstLine(e.Message)}");
        }
    }

    private static void RejectUnknownKeys(Config user)
    {
        var known = new HashSet<string>(LeafPaths(Reference.Root, ""), StringComparer.Ordinal);
        var knownSections = new HashSet<string>(SectionPaths(Reference.Root, ""), StringComparer.Ordinal);
        foreach (var path in LeafPaths(user.Root, ""))
        {
            if (!path.StartsWith(HaSettings.Root + ".", StringComparison.Ordinal)) continue;
            if (known.Contains(path)) continue;
            // A section given a scalar, e.g. `redis-ha.vrrp = 1`, is a bad value, not an unknown key.
            var allowed = knownSections.Contains(path) ? "a section is expected here" : "unknown key (see reference.conf for the known keys)";
            throw new ConfigurationException(path, null, allowed);
        }
    }

    private static IEnumerable<string> LeafPaths(HoconValue value, string prefix)
    {
        if (!value.IsObject())
        {
            if (prefix.Length > 0) yield return prefix;
            yield break;
        }
        var obj = value.GetObject();
        if (obj.Items.Count == 0 && prefix.Length > 0)
        {
            yield return prefix;
            yield break;
        }
        foreach (var (key, child) in obj.Items)
            foreach (var p in LeafPaths(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                yield return p;
    }

    private static IEnumerable<string> SectionPaths(HoconValue value, string prefix)
    {
        if (!value.IsObject()) yield break;
        if (prefix.Length > 0) yield return prefix;
        foreach (var (key, child) in value.GetObject().Items)
            foreach (var p in SectionPaths(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                yield return p;
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
