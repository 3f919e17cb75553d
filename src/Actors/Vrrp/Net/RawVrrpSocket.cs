using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// A raw IPv4 socket for IP protocol 112 bound to one interface. .NET refuses to create a raw
/// socket for protocol 112, so the descriptor comes from libc <c>socket(AF_INET, SOCK_RAW, 112)</c>
/// (Tmds.LibC) and is then wrapped in a managed <see cref="Socket"/> for everything else.
/// TTL and multicast TTL are 255 (RFC 5798 §5.1.1.3), 224.0.0.18 is joined on the interface and
/// multicast loopback is off so our own adverts do not come back.
/// </summary>
public sealed class RawVrrpSocket : IVrrpTransport
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _receiver;
    private long _addressChecks;
    private bool _addressPresent = true;

    private RawVrrpSocket(Socket socket, IPAddress primary, int ifIndex, string ifName)
    {
        _socket = socket;
        PrimaryAddress = primary;
        InterfaceIndex = ifIndex;
        InterfaceName = ifName;
    }

    /// <inheritdoc />
    public IPAddress PrimaryAddress { get; }

    /// <summary>Kernel interface index.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Interface name.</summary>
    public string InterfaceName { get; }

    /// <summary>Opens the socket on <paramref name="interfaceName"/>.</summary>
    /// <exception cref="VrrpSocketException">No such interface, no IPv4 address on it, or no
    /// permission (needs CAP_NET_RAW). The message is one line for the operator.</exception>
    public static RawVrrpSocket Open(string interfaceName)
    {
        var (index, primary) = InterfaceInfo.Find(interfaceName);
        var fd = LibC.socket(LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, VrrpCodec.IpProtocol);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new VrrpSocketException($"cannot open a raw socket for IP protocol 112 (errno {errno}; needs root or CAP_NET_RAW)");
        }
        var socket = new Socket(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));
        try
        {
            socket.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, System.Text.Encoding.ASCII.GetBytes(interfaceName + "\0"));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 255);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(index));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(VrrpCodec.MulticastGroup, index));
            // RFC 5798 §5.1.1.2 is silent on DSCP; keepalived marks adverts CS6 (TOS 0xc0) like other routing protocols.
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 0xc0);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VrrpSocketException($"cannot set up the VRRP socket on {interfaceName}: {e.Message}");
        }
        return new RawVrrpSocket(socket, primary, index, interfaceName);
    }

    /// <inheritdoc />
    public void Start(Action<byte[]> onDatagram)
    {
        _receiver = new Thread(() => ReceiveLoop(onDatagram)) { IsBackground = true, Name = "vrrp-recv" };
        _receiver.Start();
    }

    private void ReceiveLoop(Action<byte[]> onDatagram)
    {
        var buffer = new byte[65536];
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException) when (_stop.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException)
            {
                continue;
            }
            if (n > 0) onDatagram(buffer.AsSpan(0, n).ToArray());
        }
    }

    /// <inheritdoc />
    public bool Send(byte[] message, IPAddress destination)
    {
        try
        {
            return _socket.SendTo(message, new IPEndPoint(destination, 0)) == message.Length;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public bool LinkUp(out string reason)
    {
        // sysfs is a cheap read; the address check walks the interface list, so only when the link is up.
        string operstate;
        try
        {
            operstate = File.ReadAllText($"/sys/class/net/{InterfaceName}/operstate").Trim();
        }
        catch (IOException)
        {
            reason = $"{InterfaceName} is gone";
            return false;
        }
        if (operstate is not ("up" or "unknown"))
        {
            reason = $"{InterfaceName} operstate {operstate}";
            return false;
        }
        // Listing addresses walks every interface (several files each): do it on every fifth call
        // only, and whenever the last look found the address missing.
        if (_addressChecks++ % 5 == 0 || !_addressPresent)
            _addressPresent = InterfaceInfo.HasAddress(InterfaceName, PrimaryAddress);
        if (!_addressPresent)
        {
            reason = $"{InterfaceName} lost its address {PrimaryAddress}";
            return false;
        }
        reason = $"{InterfaceName} up with {PrimaryAddress}";
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
        _receiver?.Join(TimeSpan.FromSeconds(1));
        _stop.Dispose();
    }
}

/// <summary>The VRRP socket could not be opened or configured.</summary>
public sealed class VrrpSocketException(string message) : Exception(message);
