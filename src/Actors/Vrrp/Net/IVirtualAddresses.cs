namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// The virtual addresses held as a kernel lease. Calls return at once; the work runs in order
/// on a background queue so the VRRP actor never blocks on a process or a device; failures come
/// back through the callback given to <see cref="Start"/>.
/// </summary>
public interface IVirtualAddresses : IDisposable
{
    /// <summary>Starts reporting failed operations to <paramref name="onFailed"/>, called on a background
    /// thread (the VRRP actor turns it into a message to itself). Call once, before the first operation.</summary>
    void Start(Action<VirtualAddressesFailed> onFailed);

    /// <summary>Adds the addresses with a lifetime of the lease and sends gratuitous ARP.</summary>
    void Acquire();

    /// <summary>Extends the lease (the caller decides when).</summary>
    void Renew();

    /// <summary>Sends a gratuitous ARP burst for the addresses, if held (re-announce).</summary>
    void Announce();

    /// <summary>Removes the addresses (absent ones are fine).</summary>
    void Release();

    /// <summary>Whether the next <see cref="Acquire"/> or <see cref="Renew"/> sets no expiry (maintenance mode) instead of the lease.</summary>
    void KeepWithoutExpiry(bool on) { }

    /// <summary>Takes reloaded GARP keys (<c>garp-master-*</c>); the interface and addresses are the same.</summary>
    void Reconfigure(Configuration.VrrpSettings settings) { }

    /// <summary>Waits until queued work is done, at most <paramref name="timeout"/>; used on shutdown.</summary>
    bool Flush(TimeSpan timeout);
}
