using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// A raw IPv4 socket for IP protocol 112 bound to one interface. .NET refuses to create a raw
/// socket for protocol 112, so the descriptor comes from libc <c>socket(AF_INET, SOCK_RAW, 112)</c>
/// (Tmds.LibC) and is then wrapped in a managed <see cref="Socket"/> for everything else.
/// TTL and multicast TTL are 255 (RFC 5798 §5.1.1.3), 224.0.0.18 is joined on the interface and
/// multicast loopback is off so our own adverts do not come back. The interface is followed with
/// <see cref="NetlinkInterfaceWatch"/>; the VRRP actor re-binds when it is re-created.
/// </summary>
public sealed class RawVrrpSocket : IVrrpTransport
{
    private readonly string _interfaceName;
    private readonly IReadOnlyCollection<IPAddress> _exclude;
    private Bound? _bound;
    private NetlinkInterfaceWatch? _watch;
    private Action<byte[]>? _onDatagram;

    /// <summary>One socket on one (index, address) binding, with its receive thread.</summary>
    private sealed class Bound(Socket socket, int index, IPAddress primary) : IDisposable
    {
        private volatile bool _stopping;
        private Thread? _receiver;

        public Socket Socket { get; } = socket;
        public int Index { get; } = index;
        public IPAddress Primary { get; } = primary;

        public void Start(Action<byte[]> onDatagram)
        {
            _receiver = new Thread(() => ReceiveLoop(onDatagram)) { IsBackground = true, Name = "vrrp-recv" };
            _receiver.Start();
        }

        private void ReceiveLoop(Action<byte[]> onDatagram)
        {
            var buffer = new byte[65536];
            while (!_stopping)
            {
                int n;
                try
                {
                    n = Socket.Receive(buffer);
                }
                catch (SocketException) when (_stopping) { return; }
                catch (ObjectDisposedException) { return; }
                catch (SocketException)
                {
                    // ENODEV after the interface went away: the watch reports it, the actor re-binds.
                    Thread.Sleep(10);
                    continue;
                }
                if (n > 0 && !_stopping) onDatagram(buffer.AsSpan(0, n).ToArray());
            }
        }

        public void Dispose()
        {
            _stopping = true;
            try { Socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
            Socket.Dispose();
            _receiver?.Join(TimeSpan.FromSeconds(1));
        }
    }

    private RawVrrpSocket(string interfaceName, IReadOnlyCollection<IPAddress> exclude)
    {
        _interfaceName = interfaceName;
        _exclude = exclude;
    }

    /// <inheritdoc />
    public IPAddress? PrimaryAddress => _bound?.Primary;

    /// <inheritdoc />
    public int? InterfaceIndex => _bound?.Index;

    /// <summary>
    /// Creates the transport for <paramref name="interfaceName"/> and binds it at once when the interface
    /// is usable. An interface that is absent, down or without an IPv4 address is not an error: the
    /// transport stays unbound and the VRRP actor waits in FAULT for the address to appear.
    /// </summary>
    /// <param name="interfaceName">redis-ha.vrrp.interface.</param>
    /// <param name="exclude">Addresses that are never the primary (our VIPs).</param>
    /// <exception cref="VrrpSocketException">The raw socket cannot be opened (needs CAP_NET_RAW) or set up.</exception>
    public static RawVrrpSocket Open(string interfaceName, IReadOnlyCollection<IPAddress> exclude)
    {
        var state = Read(interfaceName, exclude);
        var transport = new RawVrrpSocket(interfaceName, exclude);
        if (state.Usable) transport.Bind(state);
        else
            // Finds a missing CAP_NET_RAW now rather than when the address appears.
            OpenRaw().Dispose();
        return transport;
    }

    /// <summary>Reads the interface's state now (two rtnetlink requests, no walk of every interface).</summary>
    /// <exception cref="VrrpSocketException">rtnetlink did not answer.</exception>
    public static InterfaceState Read(string interfaceName, IReadOnlyCollection<IPAddress> exclude)
    {
        try
        {
            using var netlink = RtNetlink.Open();
            return netlink.ReadInterface(interfaceName, exclude);
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException)
        {
            throw new VrrpSocketException($"cannot read interface {interfaceName} through rtnetlink: {e.Message}");
        }
    }

    private static Socket OpenRaw()
    {
        var fd = LibC.socket(LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, VrrpCodec.IpProtocol);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new VrrpSocketException($"cannot open a raw socket for IP protocol 112 (errno {errno}; needs root or CAP_NET_RAW)");
        }
        return new Socket(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));
    }

    /// <inheritdoc />
    public void Start(Action<byte[]> onDatagram, Action<InterfaceState> onInterfaceChanged)
    {
        _onDatagram = onDatagram;
        _bound?.Start(onDatagram);
        try
        {
            _watch = NetlinkInterfaceWatch.Start(_interfaceName, _exclude, onInterfaceChanged);
        }
        catch (InvalidOperationException e)
        {
            throw new VrrpSocketException($"cannot follow interface {_interfaceName}: {e.Message}");
        }
    }

    /// <inheritdoc />
    public void Bind(InterfaceState state)
    {
        if (state is not { Index: { } index, Primary: { } primary }) throw new ArgumentException("the interface is not usable", nameof(state));
        Unbind();
        var socket = OpenRaw();
        try
        {
            socket.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, System.Text.Encoding.ASCII.GetBytes(_interfaceName + "\0"));
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
            throw new VrrpSocketException($"cannot set up the VRRP socket on {_interfaceName}: {e.Message}");
        }
        _bound = new Bound(socket, index, primary);
        if (_onDatagram is { } deliver) _bound.Start(deliver);
    }

    /// <inheritdoc />
    public void Unbind()
    {
        _bound?.Dispose();
        _bound = null;
    }

    /// <inheritdoc />
    public bool Send(byte[] message, IPAddress destination)
    {
        if (_bound is not { } bound) return false;
        try
        {
            return bound.Socket.SendTo(message, new IPEndPoint(destination, 0)) == message.Length;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watch?.Dispose();
        Unbind();
    }
}

/// <summary>The VRRP socket could not be opened or configured.</summary>
public sealed class VrrpSocketException(string message) : Exception(message);
