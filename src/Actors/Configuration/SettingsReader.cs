using System.Globalization;
using Akka.Configuration;

namespace RedisHaActors.Configuration;

/// <summary>
/// Typed, range-checked reads from one HOCON section. Every failure becomes a
/// <see cref="ConfigurationException"/> naming the full key, so a bad file fails at start
/// with one line instead of a stack trace deep inside an actor.
/// </summary>
internal sealed class SettingsReader
{
    private readonly Config _config;
    private readonly string _path;

    public SettingsReader(Config root, string path)
    {
        _path = path;
        _config = root.GetConfig(path) ?? throw new ConfigurationException(path, null, "section is missing");
    }

    /// <summary>The section's full path, e.g. <c>redis-ha.redis.tls</c>.</summary>
    public string Path => _path;

    private string Key(string name) => $"{_path}.{name}";

    private string Raw(string name)
    {
        try
        {
            var value = _config.GetValue(name);
            if (value is null || value.IsEmpty)
                throw new ConfigurationException(Key(name), null, "a value is required");
            return value.IsString() ? value.GetString() : value.ToString();
        }
        catch (ConfigurationException) { throw; }
        catch (Exception)
        {
            throw new ConfigurationException(Key(name), null, "a single value is required");
        }
    }

    public string String(string name) => Raw(name);

    public int Int(string name, int min, int max)
    {
        var raw = Raw(name);
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new ConfigurationException(Key(name), raw, $"allowed {min}..{max}");
        return v;
    }

    public bool Bool(string name)
    {
        var raw = Raw(name);
        return raw.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new ConfigurationException(Key(name), raw, "allowed on|off"),
        };
    }

    /// <summary>Reads a byte count ("0", "65536", "64k", "16m", "1g": 1024-based) or <c>off</c> (null).</summary>
    /// <param name="name">The key.</param>
    /// <param name="max">The largest allowed count.</param>
    public long? BytesOrOff(string name, long max)
    {
        var raw = Raw(name).Trim();
        if (raw.Equals("off", StringComparison.OrdinalIgnoreCase)) return null;
        var text = raw.ToLowerInvariant().TrimEnd('b');
        var unit = text.Length > 0 ? text[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L } : 1L;
        if (unit > 1) text = text[..^1];
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > max / unit)
            throw new ConfigurationException(Key(name), raw, $"allowed off or a byte count 0..{max} (suffixes k, m, g: 1024-based)");
        return n * unit;
    }

    /// <summary>Reads a HOCON duration ("200ms", "2s"); a bare number means milliseconds.</summary>
    public TimeSpan Duration(string name, TimeSpan min, TimeSpan max, string allowed)
    {
        var raw = Raw(name);
        TimeSpan v;
        try
        {
            v = _config.GetTimeSpan(name, null, allowInfinite: false);
        }
        catch (Exception)
        {
            throw new ConfigurationException(Key(name), raw, allowed);
        }
        if (v < min || v > max)
            throw new ConfigurationException(Key(name), raw, allowed);
        return v;
    }

    public IReadOnlyList<string> StringList(string name)
    {
        try
        {
            return _config.GetStringList(name).ToArray();
        }
        catch (Exception)
        {
            throw new ConfigurationException(Key(name), Raw(name), "a list of strings is required");
        }
    }

    public T Enum<T>(string name) where T : struct, System.Enum
    {
        var raw = Raw(name);
        if (System.Enum.TryParse<T>(raw, ignoreCase: true, out var v) && System.Enum.IsDefined(v))
            return v;
        var names = string.Join("|", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        throw new ConfigurationException(Key(name), raw, $"allowed {names}");
    }

    public ConfigurationException Error(string name, string? value, string allowed) => new(Key(name), value, allowed);
}
