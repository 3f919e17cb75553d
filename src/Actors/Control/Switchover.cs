namespace RedisHaActors.Control;

/// <summary>
/// Asks the master node (its supervisor) for a planned hand-over to <paramref name="To"/>:
/// pause writes here, wait until the target's replica has every byte, then yield the VIP so the
/// target takes over and promotes with nothing to lose. Answered with a <see cref="SwitchoverResult"/>.
/// </summary>
/// <param name="To">The target's node name (<c>redis-ha.node.name</c>), a reachable data peer.</param>
public sealed record Switchover(string To);

/// <summary>The outcome of a <see cref="Switchover"/>.</summary>
/// <param name="Done">True when the target holds the VIP; false when refused or aborted (nothing changed then).</param>
/// <param name="Message">One line for the operator.</param>
public sealed record SwitchoverResult(bool Done, string Message);
