using Microsoft.Extensions.Logging;
using RedisHaActors.Configuration;

namespace RedisHaActors.Coordinator.Logging;

/// <summary>
/// The least severe line the host's loggers write (<c>redis-ha.log.level</c>), changed by a reload. Akka's own
/// threshold follows it through its event stream (the node sets it); this filter covers every other logger.
/// </summary>
internal sealed class LogLevelSwitch(LogThreshold initial)
{
    private volatile int _minimum = (int)ToLevel(initial);

    /// <summary>Sets the threshold.</summary>
    public void Set(LogThreshold threshold) => _minimum = (int)ToLevel(threshold);

    /// <summary>The logging filter: whether a line at <paramref name="level"/> is written.</summary>
    public bool Allows(LogLevel level) => (int)level >= _minimum;

    /// <summary>The threshold as Akka's <c>akka.loglevel</c> names it.</summary>
    public static string AkkaName(LogThreshold threshold) => Akka.Event.Logging.StringFor(LogSettings.AkkaLevel(threshold));

    private static LogLevel ToLevel(LogThreshold threshold) => threshold switch
    {
        LogThreshold.Debug => LogLevel.Debug,
        LogThreshold.Warning => LogLevel.Warning,
        LogThreshold.Error => LogLevel.Error,
        _ => LogLevel.Information,
    };
}
