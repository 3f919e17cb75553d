using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace RedisHaActors.Vrrp.Net;

/// <summary>One rtnetlink message this product reads (rtnetlink(7)); others are skipped by the parser.</summary>
/// <param name="Sequence">nlmsg_seq: the request's for replies, 0 for multicast notifications.</param>
public abstract record RtNetlinkMessage(uint Sequence);

/// <summary>RTM_NEWLINK / RTM_DELLINK: an interface appeared, changed or went away.</summary>
/// <param name="Sequence">nlmsg_seq.</param>
/// <param name="Deleted">RTM_DELLINK.</param>
/// <param name="Index">ifi_index.</param>
/// <param name="Name">IFLA_IFNAME, when present.</param>
/// <param name="OperState">IFLA_OPERSTATE (RFC 2863: 0 unknown .. 6 up), when present.</param>
/// <param name="Flags">ifi_flags (IFF_UP = 0x1, IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000).</param>
public sealed record LinkMessage(uint Sequence, bool Deleted, int Index, string? Name, byte? OperState, uint Flags) : RtNetlinkMessage(Sequence);

/// <summary>RTM_NEWADDR / RTM_DELADDR for an IPv4 address.</summary>
/// <param name="Sequence">nlmsg_seq.</param>
/// <param name="Deleted">RTM_DELADDR.</param>
/// <param name="Index">ifa_index.</param>
/// <param name="Address">IFA_LOCAL (or IFA_ADDRESS when there is no IFA_LOCAL).</param>
/// <param name="PrefixLength">ifa_prefixlen, 0..32.</param>
/// <param name="Permanent">IFA_F_PERMANENT: the address has no expiry (valid_lft forever).</param>
public sealed record AddressMessage(uint Sequence, bool Deleted, int Index, IPAddress Address, byte PrefixLength, bool Permanent = false) : RtNetlinkMessage(Sequence);

/// <summary>NLMSG_ERROR: a request's result (0 = acknowledgement, else a negative errno).</summary>
/// <param name="Sequence">The request's nlmsg_seq.</param>
/// <param name="Error">0 or -errno.</param>
public sealed record ErrorMessage(uint Sequence, int Error) : RtNetlinkMessage(Sequence);

/// <summary>NLMSG_DONE: the end of a dump.</summary>
/// <param name="Sequence">The request's nlmsg_seq.</param>
public sealed record DoneMessage(uint Sequence) : RtNetlinkMessage(Sequence);

/// <summary>Parses rtnetlink datagrams (struct nlmsghdr, ifinfomsg, ifaddrmsg, rtattr; host byte order, little-endian here).</summary>
public static class RtNetlinkMessages
{
    /// <summary>RTM_NEWLINK.</summary>
    public const ushort NewLink = 16;
    /// <summary>RTM_DELLINK.</summary>
    public const ushort DelLink = 17;
    /// <summary>RTM_GETLINK.</summary>
    public const ushort GetLink = 18;
    /// <summary>RTM_NEWADDR.</summary>
    public const ushort NewAddr = 20;
    /// <summary>RTM_DELADDR.</summary>
    public const ushort DelAddr = 21;
    /// <summary>RTM_GETADDR.</summary>
    public const ushort GetAddr = 22;
    /// <summary>NLMSG_ERROR.</summary>
    public const ushort Error = 2;
    /// <summary>NLMSG_DONE.</summary>
    public const ushort Done = 3;
    /// <summary>IFLA_IFNAME.</summary>
    public const ushort IflaIfName = 3;
    /// <summary>IFLA_OPERSTATE.</summary>
    public const ushort IflaOperState = 16;
    /// <summary>IFA_ADDRESS.</summary>
    public const ushort IfaAddress = 1;
    /// <summary>IFA_LOCAL.</summary>
    public const ushort IfaLocal = 2;

    private const int HeaderLength = 16;
    private const byte AfInet = 2;

    /// <summary>The messages in one datagram, in order. Truncated or malformed messages end the parse
    /// (what came before is kept); message types other than the ones above, and non-IPv4 addresses, are skipped.</summary>
    public static IReadOnlyList<RtNetlinkMessage> Parse(ReadOnlySpan<byte> datagram)
    {
        var messages = new List<RtNetlinkMessage>();
        for (var at = 0; at + HeaderLength <= datagram.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram[at..]);
            if (length < HeaderLength || at + length > datagram.Length) break;
            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[(at + 4)..]);
            var sequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[(at + 8)..]);
            var body = datagram.Slice(at + HeaderLength, length - HeaderLength);
            RtNetlinkMessage? message = type switch
            {
                NewLink or DelLink => Link(sequence, type == DelLink, body),
                NewAddr or DelAddr => Address(sequence, type == DelAddr, body),
                Error when body.Length >= 4 => new ErrorMessage(sequence, BinaryPrimitives.ReadInt32LittleEndian(body)),
                Done => new DoneMessage(sequence),
                _ => null,
            };
            if (message is not null) messages.Add(message);
            at += Align(length);
        }
        return messages;
    }

    private static LinkMessage? Link(uint sequence, bool deleted, ReadOnlySpan<byte> body)
    {
        // struct ifinfomsg: family, pad, type (u16), index (i32), flags (u32), change (u32)
        if (body.Length < 16) return null;
        var index = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
        string? name = null;
        byte? operState = null;
        foreach (var (type, payload) in Attributes(body[16..]))
        {
            if (type == IflaIfName) name = Encoding.ASCII.GetString(payload.ToArray()).TrimEnd('\0');
            else if (type == IflaOperState && payload.Length >= 1) operState = payload[0];
        }
        return new LinkMessage(sequence, deleted, index, name, operState, flags);
    }

    private static AddressMessage? Address(uint sequence, bool deleted, ReadOnlySpan<byte> body)
    {
        // struct ifaddrmsg: family, prefixlen, flags, scope, index (u32)
        if (body.Length < 8 || body[0] != AfInet) return null;
        var prefix = body[1];
        var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        IPAddress? local = null, address = null;
        foreach (var (type, payload) in Attributes(body[8..]))
        {
            if (payload.Length != 4) continue;
            if (type == IfaLocal) local = new IPAddress(payload);
            else if (type == IfaAddress) address = new IPAddress(payload);
        }
        // IFA_ADDRESS is the peer on point-to-point links; IFA_LOCAL is ours whenever present.
        const byte ifaFPermanent = 0x80;
        return (local ?? address) is { } ours ? new AddressMessage(sequence, deleted, index, ours, prefix, (body[2] & ifaFPermanent) != 0) : null;
    }

    private static List<(ushort Type, byte[] Payload)> Attributes(ReadOnlySpan<byte> data)
    {
        var attributes = new List<(ushort, byte[])>();
        for (var at = 0; at + 4 <= data.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(data[at..]);
            if (length < 4 || at + length > data.Length) break;
            // NLA_F_NESTED and NLA_F_NET_BYTEORDER live in the top bits of the type.
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data[(at + 2)..]) & 0x3fff);
            attributes.Add((type, data.Slice(at + 4, length - 4).ToArray()));
            at += Align(length);
        }
        return attributes;
    }

    /// <summary>NLMSG_ALIGN / RTA_ALIGN: 4 bytes.</summary>
    public static int Align(int length) => (length + 3) & ~3;
}
