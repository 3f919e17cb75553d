using Akka.Actor;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Status;

/// <summary>
/// Fills a <see cref="NodeStatus"/> from the node's children with one bounded ask each, all at
/// once. Runs outside the asking actor (its result is piped back), so it touches no actor state.
/// </summary>
internal static class NodeStatusGatherer
{
    /// <summary>Asks the three children and returns <paramref name="header"/> with their answers.</summary>
    /// <param name="header">Node-level fields; child sections are replaced.</param>
    /// <param name="vrrp">Answers <see cref="GetVrrpStatus"/>.</param>
    /// <param name="monitor">Answers <see cref="GetRedisStatus"/>.</param>
    /// <param name="roleFlip">Answers <see cref="GetRoleFlipStatus"/>.</param>
    /// <param name="guard">Answers <see cref="Cluster.GetGuardStatus"/>; Nobody when the guard is off.</param>
    /// <param name="timeout">Longest wait per child; a child that does not answer in time leaves its section null.</param>
    public static async Task<NodeStatus> GatherAsync(NodeStatus header, IActorRef vrrp, IActorRef monitor, IActorRef roleFlip, IActorRef guard, TimeSpan timeout)
    {
        var v = vrrp.IsNobody() ? Task.FromResult<VrrpStatus?>(null) : AskOrNull<VrrpStatus>(vrrp, GetVrrpStatus.Instance, timeout);
        var r = monitor.IsNobody() ? Task.FromResult<RedisStatus?>(null) : AskOrNull<RedisStatus>(monitor, GetRedisStatus.Instance, timeout);
        var f = roleFlip.IsNobody() ? Task.FromResult<RoleFlipStatus?>(null) : AskOrNull<RoleFlipStatus>(roleFlip, GetRoleFlipStatus.Instance, timeout);
        var g = guard.IsNobody() ? Task.FromResult<Cluster.GuardStatus?>(null) : AskOrNull<Cluster.GuardStatus>(guard, Cluster.GetGuardStatus.Instance, timeout);
        return header with
        {
            Vrrp = await v.ConfigureAwait(false), Redis = await r.ConfigureAwait(false), RoleFlip = await f.ConfigureAwait(false),
            Cluster = await g.ConfigureAwait(false),
        };
    }

    /// <summary>Asks <paramref name="target"/>; null when it does not answer within <paramref name="timeout"/>.</summary>
    internal static async Task<T?> AskOrNull<T>(IActorRef target, object query, TimeSpan timeout) where T : class
    {
        try
        {
            return await target.Ask<T>(query, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            // A restarting or stuck child: report what the others know instead of nothing.
            return null;
        }
    }
}
