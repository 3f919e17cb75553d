using Akka.Actor;
using Akka.Event;

namespace RedisHaActors.Hosting;

/// <summary>
/// The node gives up: a part kept failing (or the supervisor itself stopped), so the process exits with
/// <see cref="Code"/> and the service manager starts it from scratch. Nothing is left half-alive:
/// a process without VRRP, its checks or its role flipper must not look healthy to systemd. The VIP
/// needs no clean-up: its kernel lease lapses.
/// </summary>
public sealed class NodeFailedReason : CoordinatedShutdown.Reason
{
    /// <summary>Process exit code (README, "Exit codes").</summary>
    public const int Code = 4;

    /// <inheritdoc />
    public override int ExitCode => Code;

    /// <summary>The single instance.</summary>
    public static NodeFailedReason Instance { get; } = new();

    private NodeFailedReason()
    {
    }

    /// <summary>Logs that <paramref name="what"/> failed and shuts the actor system down with this reason.</summary>
    /// <param name="system">The node's actor system.</param>
    /// <param name="log">Where the one line goes.</param>
    /// <param name="what">The part that failed, as named in the log ("vrrp stopped after 11 failures in 60 s").</param>
    public static void GiveUp(ActorSystem system, ILoggingAdapter log, string what)
    {
        log.Error("{0}; shutting the node down (exit code {1})", what, Code);
        CoordinatedShutdown.Get(system).Run(Instance);
    }

    /// <inheritdoc />
    public override string ToString() => "a part of the node kept failing";
}
