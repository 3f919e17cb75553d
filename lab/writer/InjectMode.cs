using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LabWriter;

/// <summary>
/// <c>labwriter inject --dst A --hex H [--count N] [--dev eth0]</c>: sends a hand-made IPv4 datagram (header
/// included, as hex) through a raw IPPROTO_RAW socket, so lab tests can put malformed VRRP
/// packets on the wire (wrong TTL, checksum, version, lengths...). The kernel fills in the IP
/// checksum and ID when they are zero. Lab only.
/// </summary>
internal static partial class InjectMode
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    public static int Run(Options opts)
    {
        var destination = IPAddress.Parse(opts.Required("--dst"));
        var datagram = Convert.FromHexString(opts.Required("--hex"));
        var count = opts.Int("--count", 1, 1, 10_000);
        var device = opts.Str("--dev") ?? "eth0";
        opts.RejectUnknown();
        const int AfInet = 2, SockRaw = 3, IpProtoRaw = 255;
        var fd = socket(AfInet, SockRaw, IpProtoRaw);
        if (fd < 0) throw new IOException($"cannot open a raw socket (errno {Marshal.GetLastPInvokeError()}; needs root)");
        using var raw = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        // The lab's namespaces have no multicast route: pin the device instead.
        const int SolSocket = 1, SoBindToDevice = 25;
        raw.SetRawSocketOption(SolSocket, SoBindToDevice, System.Text.Encoding.ASCII.GetBytes(device + "\0"));
        var index = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().First(n => n.Name == device)
            .GetIPProperties().GetIPv4Properties().Index;
        raw.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
        for (var i = 0; i < count; i++)
            raw.SendTo(datagram, new IPEndPoint(destination, 0));
        Console.WriteLine($"{{\"sent\":{count},\"bytes\":{datagram.Length}}}");
        return 0;
    }
}
