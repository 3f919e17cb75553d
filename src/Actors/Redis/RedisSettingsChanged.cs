namespace RedisHaActors.Redis;

/// <summary>
/// Reloaded Redis-side settings (only runtime keys differ, <see cref="Configuration.ReloadPlan"/>: check timing, rise,
/// fall, weight, sync-timeout) and the configured VRRP priority the check weight applies to. The monitor takes the
/// new timing from its next check and announces the new effective priority then; the role flipper uses the new
/// sync-timeout from its next promotion.
/// </summary>
/// <param name="Settings">The <c>redis-ha.redis</c> section in effect.</param>
/// <param name="BasePriority">The configured VRRP priority, 1..254.</param>
public sealed record RedisSettingsChanged(Configuration.RedisSettings Settings, byte BasePriority);
