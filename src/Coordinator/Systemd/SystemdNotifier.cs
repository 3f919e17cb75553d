using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RedisHaActors.Configuration;
using RedisHaActors.Hosting;
using RedisHaActors.Status;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Coordinator.Systemd;

/// <summary>
/// Tells systemd (<c>Type=notify</c>) when the node is ready (<see cref="NodeReadiness"/>) and then
/// feeds its watchdog (<c>WatchdogSec=</c>). Each feed follows a message round trip through the node
/// supervisor to the VRRP actor (a witness: to its supervisor), so the watchdog is fed only while
/// those mailboxes are processed: a wedged node is no longer fed and systemd kills and restarts it,
/// while the VIP's kernel lease (<c>vrrp.vip-lease</c>) has already removed its VIP. Does nothing
/// outside systemd. <c>STOPPING=1</c> is the process's (Program.cs): this service also stops when a
/// downed node's actor system restarts in-process, which is no stop of the service.
/// </summary>
internal sealed class SystemdNotifier(ActorSystem system, NodeRole role, SdNotify notify, ILogger<SystemdNotifier> log) : BackgroundService
{
    /// <summary>How often readiness is asked for until the node is ready: 200 ms.</summary>
    public static readonly TimeSpan ReadyPoll = TimeSpan.FromMilliseconds(200);

    // Per process: READY was sent by an earlier actor system of this process.
    private static int _readySent;

    /// <summary>Longest wait for the node's status while waiting for readiness (its children answer within a second).</summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (!notify.Enabled) return;
        var node = await ActorRegistry.For(system).GetAsync<HaNodeKey>(ct).ConfigureAwait(false);
        string? ready;
        while (true)
        {
            var status = await AskAsync<NodeStatus>(node, GetNodeStatus.Instance, StatusTimeout, ct).ConfigureAwait(false);
            if ((ready = NodeReadiness.ReadyStatus(status, role)) is not null) break;
            // An actor system restarted in-process (a downed node rejoining) is already past READY:
            // its answering supervisor feeds the watchdog while its first check runs.
            if (status is not null && notify.WatchdogTimeout is not null && Volatile.Read(ref _readySent) == 1) notify.Notify("WATCHDOG=1");
            await Task.Delay(ReadyPoll, ct).ConfigureAwait(false);
        }
        notify.Notify($"READY=1\nSTATUS={ready}");
        Volatile.Write(ref _readySent, 1);
        log.LogInformation("ready: {Status}", ready);

        if (notify.WatchdogTimeout is not { } timeout) return;
        // Four chances per timeout: one late answer (a GC pause, a child re-created) is not a kill.
        var tick = timeout / 4;
        var shown = ready;
        var missed = false;
        while (!ct.IsCancellationRequested)
        {
            string? alive = role == NodeRole.Witness
                ? (await AskAsync<ActorIdentity>(node, new Identify(null), tick, ct).ConfigureAwait(false) is null ? null : shown)
                : (await AskAsync<VrrpStatus>(node, GetVrrpStatus.Instance, tick, ct).ConfigureAwait(false) is { } vrrp ? NodeReadiness.WatchdogStatus(vrrp) : null);
            if (alive is null)
            {
                if (!missed) log.LogWarning("watchdog not fed: the {Part} did not answer within {Ms:0} ms", role == NodeRole.Witness ? "node supervisor" : "VRRP actor", tick.TotalMilliseconds);
                missed = true;
            }
            else
            {
                notify.Notify(alive == shown ? "WATCHDOG=1" : $"WATCHDOG=1\nSTATUS={alive}");
                if (missed) log.LogInformation("watchdog fed again");
                shown = alive;
                missed = false;
            }
            await Task.Delay(tick, ct).ConfigureAwait(false);
        }
    }

    private static async Task<T?> AskAsync<T>(IActorRef node, object message, TimeSpan timeout, CancellationToken ct) where T : class
    {
        try
        {
            return await node.Ask<T>(message, timeout, ct).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
