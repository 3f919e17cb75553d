using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Logging;
using RedisHaActors.Control;
using RedisHaActors.Coordinator.Systemd;
using RedisHaActors.Hosting;
using RedisHaActors.Primitives;

namespace RedisHaActors.Coordinator;

/// <summary>
/// SIGHUP re-reads the node file, as keepalived does (the packaged unit's <c>ExecReload=</c> sends it): the node
/// applies what <see cref="Configuration.ReloadPlan"/> allows at runtime and logs one line, or refuses a bad file with
/// the usual one-line error and keeps running as it was. systemd hears <c>RELOADING=1</c> and then <c>READY=1</c>.
/// </summary>
internal static class ReloadSignal
{
    /// <summary>Longest wait for the node's answer.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Handles SIGHUP until the returned registration is disposed; a SIGHUP ignored by the parent (nohup) is
    /// taken back first, and said, since a reload signal would otherwise be dropped without a trace.</summary>
    public static PosixSignalRegistration Register(ActorRegistry registry, SdNotify notify, ILogger log)
    {
        var wasIgnored = HangupDisposition.RestoreIfIgnored();
        var registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            // Not the runtime's default (terminate): a reload.
            context.Cancel = true;
            _ = ReloadAsync(registry, notify, log);
        });
        if (wasIgnored)
            log.LogInformation("SIGHUP was ignored by the process that started this node (nohup?); it reloads the configuration here, as under systemd");
        return registration;
    }

    private static async Task ReloadAsync(ActorRegistry registry, SdNotify notify, ILogger log)
    {
        if (!registry.TryGet<HaNodeKey>(out var node))
        {
            log.LogWarning("SIGHUP ignored: the node has not started yet");
            return;
        }
        var monotonicUsec = (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
        notify.Notify($"RELOADING=1\nMONOTONIC_USEC={monotonicUsec}");
        try
        {
            // The node logs the outcome itself (applied, pending restart, or the refusal).
            await node.Ask<ControlResult>(Reload.Instance, Timeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.LogError("SIGHUP: the node did not answer the reload: {Error}", e.Message);
        }
        finally
        {
            notify.Notify("READY=1");
        }
    }
}
