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
    /// <summary>The length of a lease renewed with no expiry (maintenance mode): it never lapses.</summary>
    public static readonly TimeSpan NoExpiry = TimeSpan.MaxValue;

    /// <summary>Whether this lease was renewed with no expiry.</summary>
    public bool Unlimited => Length == NoExpiry;

    /// <summary>True once <paramref name="now"/> is <see cref="Length"/> or more after the last renewal:
    /// the kernel has dropped the address by then.</summary>
    public bool LapsedAt(TimeSpan now) => !Unlimited && now - RenewedAt >= Length;

    /// <summary>Time since the last renewal at <paramref name="now"/>.</summary>
    public TimeSpan Age(TimeSpan now) => now - RenewedAt;
}
