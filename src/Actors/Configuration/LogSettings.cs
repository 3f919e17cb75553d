namespace RedisHaActors.Configuration;

/// <summary>How the node writes its log lines to stdout.</summary>
public enum LogFormat
{
    /// <summary>One line of text per event (under journald: with a <c>&lt;N&gt;</c> priority prefix and no timestamp).</summary>
    Text,

    /// <summary>One JSON object per line (under journald: with a <c>&lt;N&gt;</c> priority prefix).</summary>
    Json,
}

/// <summary>The <c>redis-ha.log</c> section.</summary>
/// <param name="Format">Line format: <c>text</c> (default) or <c>json</c>.</param>
public sealed record LogSettings(LogFormat Format)
{
    /// <summary>The defaults of reference.conf (text).</summary>
    public static LogSettings Default { get; } = new(LogFormat.Text);

    internal static LogSettings Create(SettingsReader r) => new(r.Enum<LogFormat>("format"));
}
