using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RedisHaActors.Configuration;

namespace RedisHaActors.Coordinator.Logging;

/// <summary>
/// The node's log lines on stdout, by <c>redis-ha.log.format</c> and by where stdout goes: on a
/// terminal or a pipe, text with a timestamp (as before) or JSON; into the journal, each line
/// starting with its syslog priority <c>&lt;N&gt;</c> (journald strips it and files the line at
/// that priority, so <c>journalctl -p warning</c> shows the warnings) and no timestamp of its own.
/// </summary>
internal static class NodeConsoleLogging
{
    /// <summary>Replaces the builder's providers with the node's console logger.</summary>
    /// <param name="logging">The host's logging builder.</param>
    /// <param name="settings">The <c>redis-ha.log</c> section.</param>
    public static ILoggingBuilder AddNodeConsole(this ILoggingBuilder logging, LogSettings settings)
    {
        logging.ClearProviders();
        var journal = Journald.StdoutIsJournal();
        switch (settings.Format)
        {
            case LogFormat.Json:
                logging.AddConsole(o => o.FormatterName = JsonLineFormatter.FormatterName)
                    .AddConsoleFormatter<JsonLineFormatter, JsonLineFormatterOptions>(o =>
                    {
                        o.SyslogPrefix = journal;
                        o.IncludeScopes = false;
                    });
                break;
            case LogFormat.Text when journal:
                // "<6>redis-ha.vrrp[0] BACKUP -> MASTER: ..."; journald adds the time.
                logging.AddSystemdConsole(o =>
                {
                    o.IncludeScopes = false;
                    o.TimestampFormat = null;
                });
                break;
            default:
                logging.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                    o.IncludeScopes = false;
                });
                break;
        }
        return logging;
    }
}
