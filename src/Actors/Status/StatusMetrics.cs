using System.Text.Json;
using Prometheus;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Status;

/// <summary>
/// The node's Prometheus metrics in a dedicated prometheus-net registry (no process or runtime
/// metrics), set from a <see cref="NodeStatus"/> right before each scrape. Names:
/// <c>redis_ha_vrrp_state</c> (0 initialize, 1 backup, 2 master, 3 fault), <c>redis_ha_vrrp_effective_priority</c>,
/// <c>redis_ha_vrrp_eligible</c>, <c>redis_ha_vrrp_adverts_sent_total</c>,
/// <c>redis_ha_vrrp_drops_total{reason}</c>, <c>redis_ha_vrrp_transitions_total{to}</c>,
/// <c>redis_ha_redis_healthy</c>, <c>redis_ha_redis_role</c> (0 unknown, 1 master, 2 replica),
/// <c>redis_ha_redis_master_repl_offset</c> (bytes), <c>redis_ha_cluster_gossip_dropped_total{reason}</c>,
/// <c>redis_ha_cluster_tls_refused_total</c>, <c>redis_ha_cluster_tls_handshakes_failed_total</c>, <c>redis_ha_paused</c> (maintenance mode), <c>redis_ha_config_pending_restart</c>
/// (changed keys that need a restart). Thread-safe.
/// </summary>
public sealed class StatusMetrics
{
    /// <summary>The HTTP content type of <see cref="WriteAsync"/>'s output (Prometheus text format 0.0.4).</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Gauge _vrrpState;
    private readonly Gauge _effectivePriority;
    private readonly Gauge _eligible;
    private readonly Counter _advertsSent;
    private readonly Counter _vipFailures;
    private readonly Counter _drops;
    private readonly Counter _transitions;
    private readonly Gauge _redisHealthy;
    private readonly Gauge _redisRole;
    private readonly Gauge _masterReplOffset;
    private readonly Counter _gossipDropped;
    private readonly Counter _tlsRefused;
    private readonly Counter _tlsHandshakesFailed;
    private readonly Gauge _paused;
    private readonly Gauge _pendingRestart;

    /// <summary>Creates the registry and its metrics; every drop reason and target state starts at 0.</summary>
    public StatusMetrics()
    {
        var f = Metrics.WithCustomRegistry(_registry);
        _vrrpState = f.CreateGauge("redis_ha_vrrp_state", "VRRP state: 0 initialize, 1 backup, 2 master, 3 fault.");
        _effectivePriority = f.CreateGauge("redis_ha_vrrp_effective_priority", "VRRP priority advertised now (configured priority with the check weight applied).");
        _eligible = f.CreateGauge("redis_ha_vrrp_eligible", "Whether the node may become VRRP master: 1 while its Redis check passes, else 0.");
        _advertsSent = f.CreateCounter("redis_ha_vrrp_adverts_sent_total", "VRRP adverts sent.");
        _vipFailures = f.CreateCounter("redis_ha_vip_failures_total", "VIP add, renew or release operations that failed (a master that fails one yields).");
        _drops = f.CreateCounter("redis_ha_vrrp_drops_total", "Received VRRP packets dropped, by reason.", "reason");
        _transitions = f.CreateCounter("redis_ha_vrrp_transitions_total", "VRRP state changes, by the state entered.", "to");
        _redisHealthy = f.CreateGauge("redis_ha_redis_healthy", "Whether the local Redis check passes (rise/fall verdict): 1 or 0.");
        _redisRole = f.CreateGauge("redis_ha_redis_role", "Local Redis role from the latest check: 0 unknown, 1 master, 2 replica.");
        _masterReplOffset = f.CreateGauge("redis_ha_redis_master_repl_offset", "master_repl_offset of the local Redis, bytes.");
        _gossipDropped = f.CreateCounter("redis_ha_cluster_gossip_dropped_total",
            "Gossiped peer entries dropped (not a configured voter's, another node's name, a value out of range, malformed), by reason.", "reason");
        _tlsRefused = f.CreateCounter("redis_ha_cluster_tls_refused_total", "Cluster connections refused for a certificate not issued by the set's CA.");
        _tlsHandshakesFailed = f.CreateCounter("redis_ha_cluster_tls_handshakes_failed_total",
            "Cluster TLS handshakes failed for another reason: no certificate, plain TCP, ours refused, closed or timed out.");
        _paused = f.CreateGauge("redis_ha_paused", "Whether the set is paused (maintenance mode: no failover, no role change), as this node knows it: 1 or 0.");
        _pendingRestart = f.CreateGauge("redis_ha_config_pending_restart", "Keys of the node file changed since start that need a restart (0 after a reload applied everything).");
        // Publish every series from the first scrape, so rate() and alerts see a 0 before the first event.
        foreach (var reason in Enum.GetValues<DropReason>()) _drops.WithLabels(Label(reason));
        foreach (var state in Enum.GetValues<VrrpState>()) _transitions.WithLabels(Label(state));
        foreach (var reason in Enum.GetValues<Cluster.GossipDrop>()) _gossipDropped.WithLabels(Label(reason));
    }

    /// <summary>Sets every metric from <paramref name="status"/>. A section that is null (child did not answer) keeps its last values.</summary>
    public void Update(NodeStatus status)
    {
        _paused.Set(status.Paused ? 1 : 0);
        _pendingRestart.Set(status.PendingRestart?.Count ?? 0);
        if (status.Vrrp is { } v)
        {
            _vrrpState.Set(StateValue(v.State));
            _effectivePriority.Set(v.Priority);
            _eligible.Set(v.Eligible ? 1 : 0);
            // The actor's counts are totals since it started; IncTo keeps the counters monotonic
            // (a restarted VRRP actor counts from 0 again and catches up before they move).
            _advertsSent.IncTo(v.AdvertsSent);
            _vipFailures.IncTo(v.VipFailures);
            foreach (var (reason, count) in v.Drops) _drops.WithLabels(Label(reason)).IncTo(count);
            foreach (var (state, count) in v.Transitions ?? new Dictionary<VrrpState, long>()) _transitions.WithLabels(Label(state)).IncTo(count);
        }
        if (status.Redis is { } r)
        {
            _redisHealthy.Set(r.Healthy ? 1 : 0);
            _redisRole.Set(RoleValue(r.Facts?.Role ?? RedisRole.Unknown));
            if (r.Facts is { } facts) _masterReplOffset.Set(facts.MasterReplOffset);
        }
        if (status.Cluster is { } c)
        {
            foreach (var (reason, count) in c.GossipDrops ?? new Dictionary<Cluster.GossipDrop, long>()) _gossipDropped.WithLabels(Label(reason)).IncTo(count);
            if (c.TlsRefused is { } refused) _tlsRefused.IncTo(refused);
            if (c.TlsHandshakesFailed is { } failed) _tlsHandshakesFailed.IncTo(failed);
        }
    }

    /// <summary>Writes the Prometheus text exposition of the current values.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancel) =>
        _registry.CollectAndExportAsTextAsync(destination, cancel);

    /// <summary>0 initialize, 1 backup, 2 master, 3 fault.</summary>
    public static int StateValue(VrrpState state) => state switch
    {
        VrrpState.Backup => 1,
        VrrpState.Master => 2,
        VrrpState.Fault => 3,
        _ => 0,
    };

    /// <summary>0 unknown, 1 master, 2 replica.</summary>
    public static int RoleValue(RedisRole role) => role switch
    {
        RedisRole.Master => 1,
        RedisRole.Replica => 2,
        _ => 0,
    };

    /// <summary>Label value of an enum member: snake_case ("virtual_router_id"), the Prometheus convention.</summary>
    public static string Label<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
