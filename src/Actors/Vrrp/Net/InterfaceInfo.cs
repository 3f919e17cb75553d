using System.Net.NetworkInformation;

namespace RedisHaActors.Vrrp.Net;

/// <summary>Looks up an interface's MAC (index, state and addresses come from rtnetlink: <see cref="RtNetlink.ReadInterface"/>).</summary>
public static class InterfaceInfo
{
    /// <summary>The interface's MAC address (6 bytes). Walks the interface list: for the gratuitous-ARP thread only.</summary>
    /// <exception cref="VrrpSocketException">The interface is absent.</exception>
    public static PhysicalAddress Mac(string name) =>
        (NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
         ?? throw new VrrpSocketException($"interface {name} does not exist (redis-ha.vrrp.interface)")).GetPhysicalAddress();
}
