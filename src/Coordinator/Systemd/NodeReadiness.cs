using RedisHaActors.Configuration;
using RedisHaActors.Status;

namespace RedisHaActors.Coordinator.Systemd;

/// <summary>When the node may tell systemd <c>READY=1</c>, and the one-line <c>STATUS=</c> it shows.</summary>
internal static class NodeReadiness
{
    /// <summary>
    /// A data node is ready once its VRRP actor answers (its socket is open: opening it is the
    /// actor's start) and its Redis monitor has finished its first check, passed or failed: from
    /// then on VRRP has its health input. A witness is ready once its cluster guard answers (the
    /// cluster port listens from the actor system's start).
    /// </summary>
    /// <param name="status">The node's answer to <see cref="GetNodeStatus"/>; null when it did not answer.</param>
    /// <param name="role">The node's role.</param>
    /// <returns>The <c>STATUS=</c> line when ready; null while not.</returns>
    public static string? ReadyStatus(NodeStatus? status, NodeRole role) => status switch
    {
        null => null,
        _ when role == NodeRole.Witness => status.Cluster is { } guard
            ? $"witness; cluster guard: {(guard.Quorum.HasQuorum ? "quorum" : "no quorum")}, {guard.Members.Count} members up"
            : null,
        { Vrrp: { } vrrp, Redis: { Checks: > 0 } redis } =>
            $"VRRP {Vrrp(vrrp.State)}, priority {vrrp.Priority}; redis {redis.Endpoint} {(redis.Healthy ? "healthy" : "not healthy" + (redis.LastError.Length > 0 ? ": " + redis.LastError : ""))}",
        _ => null,
    };

    /// <summary>The <c>STATUS=</c> line kept current by the watchdog's round trip.</summary>
    public static string WatchdogStatus(Vrrp.VrrpStatus vrrp) => $"VRRP {Vrrp(vrrp.State)}, priority {vrrp.Priority}";

    private static string Vrrp(Vrrp.VrrpState state) => state.ToString().ToUpperInvariant();
}
