using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace RedisHaActors.Vrrp.Net;

/// <summary>Looks up an interface's index, primary IPv4 address and MAC.</summary>
public static class InterfaceInfo
{
    /// <summary>Index and primary IPv4 address of <paramref name="name"/>. The primary address is
    /// the first IPv4 address that is not one of <paramref name="exclude"/> (our VIPs).</summary>
    /// <exception cref="VrrpSocketException">The interface is absent or has no IPv4 address.</exception>
    public static (int Index, IPAddress Primary) Find(string name, IReadOnlyCollection<IPAddress>? exclude = null)
    {
        var nic = Get(name);
        var props = nic.GetIPProperties();
        var index = props.GetIPv4Properties()?.Index
            ?? throw new VrrpSocketException($"interface {name} has no IPv4 configuration");
        var primary = props.UnicastAddresses
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && (exclude is null || !exclude.Contains(a)))
            ?? throw new VrrpSocketException($"interface {name} has no IPv4 address");
        return (index, primary);
    }

    /// <summary>The interface's MAC address (6 bytes).</summary>
    /// <exception cref="VrrpSocketException">The interface is absent.</exception>
    public static PhysicalAddress Mac(string name) => Get(name).GetPhysicalAddress();

    /// <summary>True when <paramref name="name"/> exists and carries <paramref name="address"/>.</summary>
    public static bool HasAddress(string name, IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)?
            .GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)) == true;

    /// <summary>True when the interface exists and is up.</summary>
    public static bool IsUp(string name) =>
        NetworkInterface.GetAllNetworkInterfaces().Any(n => n.Name == name && n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown);

    private static NetworkInterface Get(string name) =>
        NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
        ?? throw new VrrpSocketException($"interface {name} does not exist (redis-ha.vrrp.interface)");
}
