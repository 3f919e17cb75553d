namespace RedisHaActors.Primitives;

/// <summary>
/// A time-limited right, renewed by its holder: the VIP held as a kernel address lifetime. The one
/// home of "is the lease still valid": the VRRP state machine and the role flipper both ask it, on
/// the same <see cref="IMonotonicClock"/>.
/// </summary>
/// <param name="RenewedAt">Monotonic time of the last renewal.</param>
/// <param name="Length">How long a renewal lasts (<c>redis-ha.vrrp.vip-lease</c>, whole seconds, 1 s or more).</param>
public sealed record Lease(TimeSpan RenewedAt, TimeSpan Length)
{
    /// <summary>True once <paramref name="now"/> is <see cref="Length"/> or more after the last renewal:
    /// the kernel has dropped the address by then.</summary>
    public bool LapsedAt(TimeSpan now) => now - RenewedAt >= Length;

    /// <summary>Time since the last renewal at <paramref name="now"/>.</summary>
    public TimeSpan Age(TimeSpan now) => now - RenewedAt;
}
