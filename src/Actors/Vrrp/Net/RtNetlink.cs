using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace RedisHaActors.Vrrp.Net;

/// <summary>
/// IPv4 address changes through rtnetlink (RTM_NEWADDR / RTM_DELADDR, rtnetlink(7)): the same
/// requests <c>ip addr replace ... valid_lft N preferred_lft N</c> and <c>ip addr del</c> make,
/// without starting a process on every lease renewal. One request at a time, each waits for the
/// kernel's acknowledgement (bounded by a 1 s receive timeout).
/// </summary>
public sealed class RtNetlink : IDisposable
{
    private const int NetlinkRoute = 0;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmDelAddr = 21;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;
    private const ushort NlmFReplace = 0x100;
    private const ushort NlmFCreate = 0x400;
    private const ushort NlmFDump = 0x300;
    private const byte AfUnspec = 0;
    // RFC 2863 operstates (IF_OPER_*), as sysfs names them.
    private static readonly string[] OperStates = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];
    private const byte OperUnknown = 0;
    private const byte OperUp = 6;
    private const uint IffUp = 0x1;
    private const int ENoDev = 19;
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const ushort IfaCacheInfo = 6;
    private const int EAddrNotAvail = 99;

    private readonly Socket _socket;
    // A dump reply comes in datagrams of up to a few pages; a short buffer would truncate them.
    private readonly byte[] _receive = new byte[65536];
    private uint _sequence;

    private RtNetlink(Socket socket) => _socket = socket;

    /// <summary>Opens a NETLINK_ROUTE socket in the caller's network namespace.</summary>
    /// <exception cref="InvalidOperationException">The socket cannot be opened.</exception>
    public static RtNetlink Open()
    {
        var fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NetlinkRoute);
        if (fd < 0) throw new InvalidOperationException($"cannot open an rtnetlink socket (errno {Marshal.GetLastPInvokeError()})");
        var socket = new Socket(new SafeSocketHandle((IntPtr)fd, ownsHandle: true)) { ReceiveTimeout = 1000, SendTimeout = 1000 };
        return new RtNetlink(socket);
    }

    /// <summary>Adds the address, or renews its lifetimes if present (<c>ip addr replace</c>).</summary>
    /// <param name="interfaceIndex">Kernel interface index.</param>
    /// <param name="address">IPv4 address.</param>
    /// <param name="prefixLength">0..32.</param>
    /// <param name="lifetimeSeconds">valid_lft and preferred_lft, seconds (≥ 1).</param>
    /// <exception cref="NetlinkException">The kernel refused (message names the errno).</exception>
    /// <exception cref="InvalidOperationException">No answer within 1 s.</exception>
    public void Replace(int interfaceIndex, IPAddress address, int prefixLength, uint lifetimeSeconds)
    {
        var cacheInfo = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(cacheInfo, lifetimeSeconds); // ifa_prefered
        BinaryPrimitives.WriteUInt32LittleEndian(cacheInfo.AsSpan(4), lifetimeSeconds); // ifa_valid
        var error = Request(RtmNewAddr, NlmFCreate | NlmFReplace, interfaceIndex, address, prefixLength, cacheInfo);
        if (error != 0) throw new NetlinkException(-error, $"RTM_NEWADDR {address}/{prefixLength}: {Describe(error)}");
    }

    /// <summary>Removes the address; an absent one is fine (<c>ip addr del</c>).</summary>
    /// <exception cref="NetlinkException">The kernel refused for another reason.</exception>
    /// <exception cref="InvalidOperationException">No answer within 1 s.</exception>
    public void Delete(int interfaceIndex, IPAddress address, int prefixLength)
    {
        var error = Request(RtmDelAddr, 0, interfaceIndex, address, prefixLength, null);
        if (error != 0 && error != -EAddrNotAvail) throw new NetlinkException(-error, $"RTM_DELADDR {address}/{prefixLength}: {Describe(error)}");
    }

    /// <summary>
    /// Reads <paramref name="name"/>'s index, state and primary IPv4 address: RTM_GETLINK by name, then
    /// an RTM_GETADDR dump filtered to its index (two requests; no walk of every interface's files).
    /// </summary>
    /// <param name="name">Interface name.</param>
    /// <param name="exclude">Addresses that are never the primary (our VIPs).</param>
    /// <exception cref="InvalidOperationException">Netlink did not answer, or refused for a reason other than "no such device".</exception>
    public InterfaceState ReadInterface(string name, IReadOnlyCollection<IPAddress> exclude)
    {
        var nameBytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        var link = new byte[16 + 16 + Attribute(nameBytes.Length)];
        var seq = Header(link, RtNetlinkMessages.GetLink, NlmFRequest);
        link[16] = AfUnspec;
        WriteAttribute(link, 32, RtNetlinkMessages.IflaIfName, nameBytes);
        _socket.Send(link);
        LinkMessage? found = null;
        foreach (var m in Replies(seq, untilDone: false))
        {
            if (m is ErrorMessage { Error: -ENoDev }) return InterfaceState.Absent(name);
            if (m is ErrorMessage e && e.Error != 0) throw new NetlinkException(-e.Error, $"RTM_GETLINK {name}: {Describe(e.Error)}");
            if (m is LinkMessage l) found = l;
        }
        if (found is null) return InterfaceState.Absent(name);

        var dump = new byte[16 + 8];
        seq = Header(dump, RtNetlinkMessages.GetAddr, NlmFRequest | NlmFDump);
        dump[16] = (byte)LibC.AF_INET;
        _socket.Send(dump);
        IPAddress? primary = null;
        foreach (var m in Replies(seq, untilDone: true))
            if (primary is null && m is AddressMessage { Deleted: false } a && a.Index == found.Index && !exclude.Contains(a.Address))
                primary = a.Address;
        var oper = found.OperState ?? OperUnknown;
        var up = (found.Flags & IffUp) != 0 && oper is OperUp or OperUnknown;
        var operName = (found.Flags & IffUp) == 0 ? "down (admin)" : oper < OperStates.Length ? OperStates[oper] : $"{oper}";
        return new InterfaceState(name, found.Index, up, primary, operName);
    }

    /// <summary>The IPv4 addresses on interface <paramref name="interfaceIndex"/> that have no expiry (IFA_F_PERMANENT).</summary>
    /// <exception cref="InvalidOperationException">Netlink did not answer.</exception>
    public IReadOnlyList<IPAddress> PermanentAddresses(int interfaceIndex)
    {
        var dump = new byte[16 + 8];
        var seq = Header(dump, RtNetlinkMessages.GetAddr, NlmFRequest | NlmFDump);
        dump[16] = (byte)LibC.AF_INET;
        _socket.Send(dump);
        return Replies(seq, untilDone: true).OfType<AddressMessage>()
            .Where(a => !a.Deleted && a.Index == interfaceIndex && a.Permanent).Select(a => a.Address).ToArray();
    }

    private uint Header(byte[] m, ushort type, ushort flags)
    {
        var seq = ++_sequence;
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), seq);
        return seq;
    }

    /// <summary>The replies to request <paramref name="seq"/>: up to NLMSG_DONE for a dump, else up to the first reply or error.</summary>
    private List<RtNetlinkMessage> Replies(uint seq, bool untilDone)
    {
        var replies = new List<RtNetlinkMessage>();
        // Bounded: a dump of a host with thousands of addresses is a few dozen datagrams.
        for (var i = 0; i < 4096; i++)
        {
            var n = _socket.Receive(_receive);
            foreach (var m in RtNetlinkMessages.Parse(_receive.AsSpan(0, n)))
            {
                if (m.Sequence != seq) continue;
                if (m is DoneMessage || m is ErrorMessage) { replies.Add(m); return replies; }
                replies.Add(m);
                if (!untilDone) return replies;
            }
        }
        throw new InvalidOperationException("rtnetlink reply did not end");
    }

    private int Request(ushort type, ushort flags, int interfaceIndex, IPAddress address, int prefixLength, byte[]? cacheInfo)
    {
        Span<byte> ip = stackalloc byte[4];
        if (!address.TryWriteBytes(ip, out var written) || written != 4) throw new ArgumentException("IPv4 only", nameof(address));
        var length = 16 + 8 + Attribute(4) * 2 + (cacheInfo is null ? 0 : Attribute(cacheInfo.Length));
        var m = new byte[length];
        var seq = ++_sequence;
        // struct nlmsghdr (host byte order)
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), (ushort)(NlmFRequest | NlmFAck | flags));
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), seq);
        // struct ifaddrmsg: family, prefixlen, flags, scope (universe), index
        m[16] = (byte)LibC.AF_INET;
        m[17] = (byte)prefixLength;
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(20), (uint)interfaceIndex);
        var offset = 24;
        offset = WriteAttribute(m, offset, IfaLocal, ip);
        offset = WriteAttribute(m, offset, IfaAddress, ip);
        if (cacheInfo is not null) WriteAttribute(m, offset, IfaCacheInfo, cacheInfo);
        _socket.Send(m);
        // Read until the acknowledgement for this request (other messages are not expected on this socket).
        for (var i = 0; i < 16; i++)
        {
            var n = _socket.Receive(_receive);
            for (var at = 0; at + 16 <= n;)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(_receive.AsSpan(at));
                if (len < 16 || at + len > n) break;
                if (BinaryPrimitives.ReadUInt16LittleEndian(_receive.AsSpan(at + 4)) == NlmsgError &&
                    BinaryPrimitives.ReadUInt32LittleEndian(_receive.AsSpan(at + 8)) == seq)
                    return BinaryPrimitives.ReadInt32LittleEndian(_receive.AsSpan(at + 16));
                at += (len + 3) & ~3;
            }
        }
        throw new InvalidOperationException("no acknowledgement from rtnetlink");
    }

    private static int Attribute(int payload) => (4 + payload + 3) & ~3;

    private static int WriteAttribute(byte[] m, int offset, ushort type, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(offset), (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(offset + 2), type);
        payload.CopyTo(m.AsSpan(offset + 4));
        return offset + Attribute(payload.Length);
    }

    private static string Describe(int error) => error switch
    {
        -1 => "operation not permitted (needs CAP_NET_ADMIN)",
        -19 => "no such interface",
        -22 => "invalid argument",
        _ => $"errno {-error}",
    };

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}

/// <summary>The kernel refused an rtnetlink request (its <c>nlmsgerr</c>).</summary>
/// <param name="errno">The positive errno, e.g. 1 (EPERM: the process lacks CAP_NET_ADMIN).</param>
/// <param name="message">One line naming the request and the error.</param>
public sealed class NetlinkException(int errno, string message) : InvalidOperationException(message)
{
    /// <summary>EPERM: the request needs CAP_NET_ADMIN in the network namespace.</summary>
    public const int NotPermitted = 1;

    /// <summary>The positive errno.</summary>
    public int Errno { get; } = errno;
}
