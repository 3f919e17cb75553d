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
    /// <exception cref="ConfigurationException">Unreadable file, syntax error, or unknown key.</exception>
    public static Config LoadFile(string path)
    {
        var full = Path.GetFullPath(path);
        return LoadText(ReadFile(full, path), Path.GetDirectoryName(full)!, full);
    }

    /// <summary>Parses HOCON text over the reference.</summary>
    /// <exception cref="ConfigurationException">Syntax error, bad include, or unknown key.</exception>
    public static Config LoadText(string text, string baseDirectory, string origin)
    {
        Config user;
        try
        {
            user = new Config(Parser.Parse(text, IncludeCallback(baseDirectory, 0)));
        }
        catch (ConfigurationException) { throw; }
        catch (Exception e)
        {
            throw new ConfigurationException(origin, null, $"not valid HOCON: {FirstLine(e.Message)}");
        }
        RejectUnknownKeys(user);
        return user.WithFallback(Reference);
    }

    private static Func<string, HoconRoot> IncludeCallback(string baseDirectory, int depth) => name =>
    {
        if (depth >= MaxIncludeDepth)
            throw new ConfigurationException(name, null, $"includes nested deeper than {MaxIncludeDepth}");
        var trimmed = name.Trim().Trim('"');
        var full = Path.GetFullPath(Path.Combine(baseDirectory, trimmed));
        return Parser.Parse(ReadFile(full, trimmed), IncludeCallback(Path.GetDirectoryName(full)!, depth + 1));
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
