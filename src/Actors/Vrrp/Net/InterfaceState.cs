using System.Net;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// What the kernel says about the VRRP interface at one moment (rtnetlink, see
/// <see cref="RtNetlink.ReadInterface"/>): whether it exists, its index, whether it is up, and its
/// primary IPv4 address. The VRRP socket is bound to one (index, primary address) pair; another
/// pair (the interface re-created, the address changed) means re-binding.
/// </summary>
/// <param name="Name">Interface name (redis-ha.vrrp.interface).</param>
/// <param name="Index">Kernel interface index; null when no interface has this name.</param>
/// <param name="Up">Administratively up with operstate UP or UNKNOWN (as keepalived; loopback and some virtual devices say UNKNOWN).</param>
/// <param name="Primary">The first IPv4 address on it that is not one of our VIPs (the advert source, RFC 5798 §5.1.1.1); null when none.</param>
/// <param name="OperState">The operstate as the kernel names it ("up", "down", "lowerlayerdown", ...), for the log.</param>
public sealed record InterfaceState(string Name, int? Index, bool Up, IPAddress? Primary, string OperState)
{
    /// <summary>VRRP can run on it: it exists, is up and has an IPv4 address.</summary>
    public bool Usable => Index is not null && Up && Primary is not null;

    /// <summary>One phrase for the transition log: "eth0 has no IPv4 address yet", "eth0 up with 192.0.2.1".</summary>
    public string Describe() => this switch
    {
        { Index: null } => $"{Name} does not exist (yet?)",
        { Up: false } => $"{Name} operstate {OperState}",
        { Primary: null } => $"{Name} has no IPv4 address yet",
        _ => $"{Name} up with {Primary}",
    };

    /// <summary>An interface that does not exist.</summary>
    /// <param name="name">Its name.</param>
    public static InterfaceState Absent(string name) => new(name, null, false, null, "absent");
}
