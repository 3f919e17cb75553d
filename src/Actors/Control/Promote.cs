namespace RedisHaActors.Control;

/// <summary>
/// Asks a data node to take over although its data rules refuse an automatic promotion (<c>redis-ha promote</c>,
/// <c>POST /promote[?accept-loss]</c>): the way out when the master is gone and the only replica left never finished its
/// first sync, holds an older history, or is behind by more than <c>max-loss</c>. Answered with a
/// <see cref="ControlResult"/> once this node holds the VIP over a master Redis (done), or refused with one line
/// (<see cref="Hosting.ForcedPromotion"/>), or failed when that does not happen within
/// <see cref="Hosting.ForcedPromotion.Window"/>.
/// </summary>
/// <param name="AcceptLoss">The operator accepts the estimated loss. Without it nothing changes: the answer is a refusal
/// that says what would be overridden and the estimated loss.</param>
public sealed record ForcePromotion(bool AcceptLoss);
