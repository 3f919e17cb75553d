namespace RedisHaActors.Control;

/// <summary>
/// Asks the node to pause (<c>redis-ha pause</c>, <c>POST /pause</c>) or resume (<c>POST /resume</c>) automatic
/// failover for the whole set, through the cluster guard. Answered with a <see cref="ControlResult"/>; refused with
/// a reason (<see cref="Hosting.MaintenancePolicy"/>) when the set cannot carry it.
/// </summary>
/// <param name="Paused">True to pause, false to resume.</param>
/// <param name="Force">Resume even though no live VIP holder is seen (its host is gone for good).</param>
public sealed record SetMaintenance(bool Paused, bool Force = false);
