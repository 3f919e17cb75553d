namespace RedisHaActors.Configuration;

/// <summary>How the node writes its log lines to stdout.</summary>
public enum LogFormat
{
    /// <summary>One line of text per event (under journald: with a <c>&lt;N&gt;</c> priority prefix and no timestamp).</summary>
    Text,

    /// <summary>One JSON object per line (under journald: with a <c>&lt;N&gt;</c> priority prefix).</summary>
    Json,
}

/// <summary>The least severe log lines written (<c>redis-ha.log.level</c>).</summary>
public enum LogThreshold
{
    /// <summary>Everything, debug lines included.</summary>
    Debug,

    /// <summary>Information, warnings and errors (the default).</summary>
    Info,

    /// <summary>Warnings and errors.</summary>
    Warning,

    /// <summary>Errors only.</summary>
    Error,
}

/// <summary>The <c>redis-ha.log</c> section.</summary>
/// <param name="Format">Line format: <c>text</c> (default) or <c>json</c>; needs a restart.</param>
/// <param name="Level">Least severe lines written: <c>debug | info | warning | error</c>; applied at a reload.</param>
public sealed record LogSettings(LogFormat Format, LogThreshold Level = LogThreshold.Info)
{
    /// <summary>The defaults of reference.conf (text, info).</summary>
    public static LogSettings Default { get; } = new(LogFormat.Text);

    internal static LogSettings Create(SettingsReader r) => new(r.Enum<LogFormat>("format"), r.Enum<LogThreshold>("level"));

    /// <summary>The threshold as Akka's event stream takes it (<c>akka.loglevel</c>: <see cref="Akka.Event.Logging.StringFor"/>).</summary>
    public static Akka.Event.LogLevel AkkaLevel(LogThreshold threshold) => threshold switch
    {
        LogThreshold.Debug => Akka.Event.LogLevel.DebugLevel,
        LogThreshold.Warning => Akka.Event.LogLevel.WarningLevel,
        LogThreshold.Error => Akka.Event.LogLevel.ErrorLevel,
        _ => Akka.Event.LogLevel.InfoLevel,
    };
}
