using System.Net;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Vrrp;

/// <summary>What the VRRP actor does about one reported <see cref="InterfaceState"/>, in this order.</summary>
/// <param name="Fault">Enter FAULT with this cause first (a <see cref="LinkChanged"/> down); null to stay.</param>
/// <param name="Unbind">Close the socket (its interface is gone).</param>
/// <param name="Bind">(Re)bind the socket to the interface as reported, and use its primary address from now on.</param>
/// <param name="Up">Then leave FAULT with this cause (a <see cref="LinkChanged"/> up); null to stay.</param>
public sealed record InterfaceStep(string? Fault, bool Unbind, bool Bind, string? Up)
{
    /// <summary>Nothing to do.</summary>
    public static InterfaceStep None { get; } = new(null, false, false, null);
}

/// <summary>
/// The interface is followed, not assumed: decides, from the socket's binding and a reported state,
/// whether VRRP goes to FAULT, whether the socket is re-bound, and whether VRRP leaves FAULT. A
/// re-created interface (new index) or a changed primary address means a new socket (bound to the
/// device, group joined again) and a new advert source, passed through FAULT so the node listens as
/// BACKUP first, as after any link return (keepalived does the same on an address change).
/// </summary>
public static class InterfaceFollow
{
    /// <summary>Decides the step.</summary>
    /// <param name="boundIndex">The index the socket is bound to; null when unbound.</param>
    /// <param name="boundPrimary">The address the socket sends from; null when unbound.</param>
    /// <param name="linkUp">VRRP is not in FAULT (the last decision let it run).</param>
    /// <param name="now">The reported state.</param>
    public static InterfaceStep Decide(int? boundIndex, IPAddress? boundPrimary, bool linkUp, InterfaceState now)
    {
        if (!now.Usable)
            // A socket on a vanished (or replaced) index hears nothing more; one on a live index
            // that lost its address or carrier is kept for when it returns.
            return new InterfaceStep(linkUp ? now.Describe() : null, boundIndex is not null && boundIndex != now.Index, false, null);
        var rebind = boundIndex != now.Index || !Equals(boundPrimary, now.Primary);
        if (!rebind)
            return linkUp ? InterfaceStep.None : new InterfaceStep(null, false, false, now.Describe());
        var change = boundIndex is null ? null
            : boundIndex != now.Index ? $"{now.Name} was re-created (index {boundIndex} -> {now.Index})"
            : $"{now.Name} primary address changed ({boundPrimary} -> {now.Primary})";
        return new InterfaceStep(linkUp && change is not null ? change : null, false, true, change is null ? now.Describe() : $"{change}, listening again");
    }
}
