using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace RedisHaActors.Hosting;

/// <summary>Carries the host's <see cref="ILoggerFactory"/> into the actor system for <see cref="HostLogger"/>.</summary>
/// <param name="factory">The host's logger factory.</param>
public sealed class HostLoggerSetup(ILoggerFactory factory) : Setup
{
    /// <summary>The host's logger factory.</summary>
    public ILoggerFactory Factory { get; } = factory;
}

/// <summary>
/// Akka logger that writes to Microsoft.Extensions.Logging with a short category per actor
/// (<c>redis-ha.vrrp</c>, <c>redis-ha.role-flip</c>) and the bare message, so an operator reads
/// "redis-ha.vrrp: BACKUP -> MASTER: no advert for 0.65 s from 192.0.2.1" rather than Akka's
/// bracketed prefix. Needs <see cref="HostLoggerSetup"/>; without it, writes to stdout.
/// </summary>
public sealed class HostLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory? _factory = Context.System.Settings.Setup.Get<HostLoggerSetup>().Value?.Factory;
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new();

    /// <summary>Creates the logger actor (Akka starts it from <c>akka.loggers</c>).</summary>
    public HostLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Handle);
    }

    private void Handle(LogEvent e)
    {
        var category = Category(e.LogSource, e.LogClass);
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => LogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => LogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        var message = e.Message?.ToString() ?? "";
        if (_factory is null)
        {
            Console.Out.WriteLine($"{e.Timestamp:yyyy-MM-dd HH:mm:ss.fff} {level}: {category}: {message}");
            return;
        }
        var logger = _loggers.GetOrAdd(category, _factory.CreateLogger);
        logger.Log(level, e.Cause, "{Message}", message);
    }

    /// <summary>
    /// "akka://redis-ha/user/ha-node/vrrp" -> "redis-ha.vrrp"; a class of ours outside the actor tree (the cluster
    /// transport) -> "redis-ha.cluster-tls-transport"; Akka internals keep their class name.
    /// </summary>
    internal static string Category(string source, Type? logClass)
    {
        var marker = "/user/";
        var i = source.IndexOf(marker, StringComparison.Ordinal);
        if (i < 0 && logClass?.Namespace?.StartsWith("RedisHaActors", StringComparison.Ordinal) == true)
            return "redis-ha." + string.Concat(logClass.Name.Select((c, k) => char.IsUpper(c) ? (k > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
        if (i < 0) return logClass?.Namespace?.StartsWith("Akka", StringComparison.Ordinal) == true ? logClass.FullName ?? "akka" : "akka";
        var path = source[(i + marker.Length)..];
        var last = path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? path;
        var hash = last.IndexOf('#');
        return "redis-ha." + (hash >= 0 ? last[..hash] : last);
    }
}
