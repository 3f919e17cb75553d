using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace RedisHaActors.Coordinator.Logging;

/// <summary>Options of <see cref="JsonLineFormatter"/>.</summary>
internal sealed class JsonLineFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Start each line with its syslog priority <c>&lt;N&gt;</c> (for journald).</summary>
    public bool SyslogPrefix { get; set; }
}

/// <summary>
/// One JSON object per line: <c>{"timestamp","level","category","message"[,"exception"]}</c>, with
/// the built-in JSON formatter's level names (Information, Warning, ...). Written here rather than
/// with that formatter because under journald each line must start with <c>&lt;N&gt;</c>.
/// </summary>
internal sealed class JsonLineFormatter(Microsoft.Extensions.Options.IOptionsMonitor<JsonLineFormatterOptions> options)
    : ConsoleFormatter(FormatterName)
{
    /// <summary>The name the console logger selects it by.</summary>
    public const string FormatterName = "redis-ha-json";

    // "BACKUP -> MASTER" stays greppable; nothing here is embedded in HTML.
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> entry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = entry.Formatter(entry.State, entry.Exception);
        if (message is null && entry.Exception is null) return;
        if (options.CurrentValue.SyslogPrefix) textWriter.Write($"<{SyslogPriority(entry.LogLevel)}>");
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", entry.LogLevel.ToString());
            json.WriteString("category", entry.Category);
            json.WriteString("message", message);
            if (entry.Exception is { } e) json.WriteString("exception", e.ToString());
            json.WriteEndObject();
        }
        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write('\n');
    }

    /// <summary>syslog(3) priority of a level: 7 debug .. 2 critical (as the systemd console formatter maps them).</summary>
    internal static int SyslogPriority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };
}
