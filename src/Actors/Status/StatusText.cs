using System.Globalization;
using System.Text;
using RedisHaActors.Cluster;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Status;

/// <summary>The compact, human-readable form of a <see cref="NodeStatus"/> printed by <c>redis-ha status</c>. Pure.</summary>
public static class StatusText
{
    /// <summary>A few lines: VRRP state and cause, priorities and VIP, Redis role, offset and health, role flip, drops, and
    /// while they hold, the data rule that keeps the node from MASTER and an operator's forced promotion.</summary>
    /// <param name="s">The node's status.</param>
    /// <param name="now">Wall-clock now, for "12 s ago".</param>
    public static string Format(NodeStatus s, DateTimeOffset now)
    {
        var b = new StringBuilder();
        var witness = s.Interface.Length == 0;
        var what = witness ? "witness (cluster vote only)" : string.Create(CultureInfo.InvariantCulture, $"vrid {s.VirtualRouterId} on {s.Interface}");
        b.Append(CultureInfo.InvariantCulture, $"node {s.Node}, up {Duration(TimeSpan.FromSeconds(s.UptimeSeconds))}; {what}\n");
        AppendCluster(b, s.Cluster);
        if (s.Maintenance is { } maintenance)
            b.Append(s.Paused ? $"maintenance: PAUSED ({maintenance[6..].Trim()}): no failover, no role change; redis-ha resume ends it\n" : $"maintenance: {maintenance}\n");
        if (s.PendingRestart is { Count: > 0 } pending)
            b.Append(CultureInfo.InvariantCulture, $"config: pending restart: {string.Join(", ", pending)}\n");
        if (witness) return b.ToString();

        if (s.Vrrp is { } v)
        {
            b.Append(CultureInfo.InvariantCulture, $"vrrp:   {Upper(v.State)}");
            // The master followed stays named after it falls silent (a held-back backup keeps waiting): say so.
            if (v.State == VrrpState.Backup)
                b.Append(v.Master is not { } m ? ", no master heard"
                    : v.MasterHeardAgo is null ? $", master {m} SILENT (no advert within Master_Down_Interval)" : $", master {m}");
            if (v.LastTransition is { } t)
                b.Append(CultureInfo.InvariantCulture, $" since {Duration(now - t.At)} ago ({Upper(t.From)} -> {Upper(t.To)}: {t.Cause})");
            b.Append('\n');
            b.Append(CultureInfo.InvariantCulture,
                $"        priority {v.Priority} (configured {s.ConfiguredPriority}), {(v.Eligible ? "eligible" : "not eligible")}; " +
                $"vip {string.Join(",", s.VirtualAddresses)} {(v.State == VrrpState.Master ? "held" : "not held")}\n");
            // A data rule has its own line below ("data:"): said once.
            if (v.IneligibleCause is { Length: > 0 } why && why != $"not eligible: {s.DataRefusal}")
                b.Append(CultureInfo.InvariantCulture, $"        {why}\n");
            var drops = v.Drops.Where(d => d.Value > 0).OrderBy(d => d.Key).Select(d => $"{StatusMetrics.Label(d.Key)} {d.Value}").ToArray();
            b.Append(CultureInfo.InvariantCulture, $"        adverts sent {v.AdvertsSent}; drops: {(drops.Length == 0 ? "none" : string.Join(", ", drops))}" +
                $"{(v.VipFailures > 0 ? $"; VIP operations FAILED {v.VipFailures}" : "")}\n");
        }
        else
            b.Append("vrrp:   (no answer)\n");

        if (s.Redis is { } r)
        {
            var health = r.Healthy
                ? "healthy"
                : $"FAILING ({r.Failures} failures: {r.LastError})";
            b.Append(CultureInfo.InvariantCulture, $"redis:  {r.Endpoint} {health}, priority {r.EffectivePriority}; {Role(r.Facts)}" +
                $"{(r.ReplicaReadOnly is false ? "; replica-read-only NO: the read-only fence does not hold" : "")}\n");
        }
        else
            b.Append("redis:  (no answer)\n");

        if (s.RoleFlip is { } f)
        {
            var wants = f.DesiredRole switch
            {
                DesiredRole.Fenced => "read-only (fenced)",
                DesiredRole.None => "nothing yet",
                _ => Lower(f.DesiredRole),
            };
            if (f.DesiredRole == DesiredRole.Replica && f.Master is { } followed) wants += $" of {followed}";
            b.Append(CultureInfo.InvariantCulture, $"flip:   wants {wants}{(f.InFlight ? " (changing now)" : "")}; ");
            b.Append(f.LastOutcome.Length == 0
                ? "no role change yet"
                : $"last{(f.LastOutcomeFailed ? " (FAILED)" : "")}: {f.LastOutcome}");
            if (f.FenceUnavailable.Length > 0) b.Append(CultureInfo.InvariantCulture, $"; UNAVAILABLE: {f.FenceUnavailable}");
            if (f.LossRefusal.Length > 0) b.Append(CultureInfo.InvariantCulture, $"; NOT PROMOTED: {f.LossRefusal}");
            b.Append('\n');
        }
        else
            b.Append("flip:   (no answer)\n");
        // max-loss is said on the flip line already.
        if (s.DataRefusal is { } data && data != s.RoleFlip?.LossRefusal)
            b.Append(CultureInfo.InvariantCulture, $"data:   NOT ELIGIBLE: {data}\n");
        if (s.ForcedPromotion is { } forced)
            b.Append(CultureInfo.InvariantCulture, $"forced: IN PROGRESS: {forced}\n");
        return b.ToString();
    }

    private static void AppendCluster(StringBuilder b, GuardStatus? c)
    {
        if (c is null)
        {
            b.Append("cluster: guard off or no answer\n");
            return;
        }
        b.Append(CultureInfo.InvariantCulture, $"cluster: {(c.Quorum.HasQuorum ? "quorum" : "NO QUORUM")} ({c.Quorum.Cause})\n");
        var dropped = (c.GossipDrops ?? new Dictionary<GossipDrop, long>()).Where(d => d.Value > 0)
            .Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Value} {Lower(d.Key)}")).ToArray();
        if (dropped.Length > 0 || c.TlsRefused > 0 || c.TlsHandshakesFailed > 0)
            b.Append(CultureInfo.InvariantCulture, $"refused: tls {c.TlsRefused ?? 0}; tls handshakes failed {c.TlsHandshakesFailed ?? 0}; " +
                                                   $"gossip dropped: {(dropped.Length == 0 ? "none" : string.Join(", ", dropped))}\n");
        foreach (var p in c.Peers)
        {
            var st = p.State;
            var reach = p.Reachable ? "" : ", UNREACHABLE";
            var keys = st.Keys < 0 ? "keys unknown" : string.Create(CultureInfo.InvariantCulture, $"{st.Keys} keys");
            if (st.Role == PeerRole.Witness)
                b.Append(CultureInfo.InvariantCulture, $"peer:   {st.Name} witness{reach}\n");
            else
                b.Append(CultureInfo.InvariantCulture,
                    $"peer:   {st.Name} {Upper(st.VrrpState)} priority {st.Priority}, redis {Lower(st.RedisRole)} at {st.AnnounceHost}:{st.RedisPort}, offset {st.ReplOffset}, {keys}{reach}\n");
        }
    }

    private static string Role(ReplicationFacts? f) => f switch
    {
        null => "role unknown",
        { Role: RedisRole.Master } => $"master, offset {f.MasterReplOffset}, {f.ConnectedReplicas} replica{(f.ConnectedReplicas == 1 ? "" : "s")}",
        { Role: RedisRole.Replica } => $"replica of {f.MasterHost}:{f.MasterPort}, link {(f.MasterLinkUp ? "up" : "DOWN")}, offset {f.Offset}",
        _ => "role unknown",
    };

    private static string Upper<T>(T value) where T : struct, Enum => value.ToString().ToUpperInvariant();

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>"45 s", "12m05s", "3h12m", "2d04h".</summary>
    public static string Duration(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        return d.TotalMinutes < 1 ? $"{(int)d.TotalSeconds} s"
            : d.TotalHours < 1 ? $"{(int)d.TotalMinutes}m{d.Seconds:00}s"
            : d.TotalDays < 1 ? $"{(int)d.TotalHours}h{d.Minutes:00}m"
            : $"{(int)d.TotalDays}d{d.Hours:00}h";
    }
}
