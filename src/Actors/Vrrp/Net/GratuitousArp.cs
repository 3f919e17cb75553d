using System.Net;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace RedisHaActors.Vrrp.Net;

/// <summary>Announces addresses on a link (RFC 5227 §3 ARP announcement, as keepalived's vrrp_arp.c does).</summary>
public interface IGratuitousArp
{
    /// <summary>Sends <paramref name="repeat"/> broadcast ARP requests per address, sender = target = the address.</summary>
    /// <exception cref="InvalidOperationException">The device cannot be opened.</exception>
    void Announce(string interfaceName, IReadOnlyList<IPAddress> addresses, int repeat);
}

/// <summary><see cref="IGratuitousArp"/> with SharpPcap and PacketDotNet.</summary>
public sealed class PcapGratuitousArp : IGratuitousArp
{
    /// <inheritdoc />
    public void Announce(string interfaceName, IReadOnlyList<IPAddress> addresses, int repeat)
    {
        var mac = InterfaceInfo.Mac(interfaceName);
        using var device = new LibPcapLiveDevice(LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == interfaceName)?.Interface
            ?? throw new InvalidOperationException($"pcap cannot see interface {interfaceName}"));
        device.Open();
        for (var i = 0; i < repeat; i++)
        {
            foreach (var address in addresses)
            {
                var arp = new ArpPacket(ArpOperation.Request, PhysicalAddressBroadcastTarget, address, mac, address);
                var frame = new EthernetPacket(mac, Broadcast, EthernetType.Arp) { PayloadPacket = arp };
                device.SendPacket(frame);
            }
        }
        device.Close();
    }

    private static readonly System.Net.NetworkInformation.PhysicalAddress Broadcast = System.Net.NetworkInformation.PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");
    private static readonly System.Net.NetworkInformation.PhysicalAddress PhysicalAddressBroadcastTarget = System.Net.NetworkInformation.PhysicalAddress.Parse("00-00-00-00-00-00");
}
