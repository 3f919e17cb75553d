using System.Buffers.Binary;
using System.Net;

namespace RedisHaActors.Vrrp;

/// <summary>
/// VRRPv3 for IPv4 (RFC 5798 §5): encoding of our adverts and strict decoding of received
/// IPv4 datagrams. Pure: no I/O. Decoding never throws; it returns a packet or a drop reason.
/// </summary>
public static class VrrpCodec
{
    /// <summary>IANA protocol number of VRRP.</summary>
    public const int IpProtocol = 112;

    /// <summary>RFC 5798 §5.1.1.2: IPv4 multicast destination of adverts.</summary>
    public static readonly IPAddress MulticastGroup = IPAddress.Parse("224.0.0.18");

    private const int HeaderLength = 8;
    private const byte TypeAdvertisement = 1;

    /// <summary>
    /// Builds a VRRPv3 advertisement (the VRRP message only; the kernel adds the IP header).
    /// The checksum covers the IPv4 pseudo-header (RFC 5798 §5.2.8), so source and destination
    /// must be the addresses the packet will carry.
    /// </summary>
    /// <exception cref="ArgumentException">No address, more than 255, a non-IPv4 address, or an interval outside 1..4095 cs.</exception>
    public static byte[] EncodeV3(VrrpAdvertisement advert, IPAddress source, IPAddress destination)
    {
        if (advert.Addresses.Count is 0 or > 255) throw new ArgumentException("1..255 addresses are required", nameof(advert));
        if (advert.MaxAdvertIntervalCentiseconds is 0 or > 0x0FFF) throw new ArgumentException("interval must be 1..4095 cs", nameof(advert));
        var buffer = new byte[HeaderLength + 4 * advert.Addresses.Count];
        buffer[0] = 3 << 4 | TypeAdvertisement;
        buffer[1] = advert.VirtualRouterId;
        buffer[2] = advert.Priority;
        buffer[3] = (byte)advert.Addresses.Count;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4), advert.MaxAdvertIntervalCentiseconds);
        for (var i = 0; i < advert.Addresses.Count; i++)
            if (!advert.Addresses[i].TryWriteBytes(buffer.AsSpan(HeaderLength + 4 * i, 4), out var written) || written != 4)
                throw new ArgumentException("IPv4 addresses only", nameof(advert));
        var sum = Checksum(buffer, source, destination);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(6), sum);
        return buffer;
    }

    /// <summary>
    /// Decodes a whole IPv4 datagram as a raw socket delivers it (IP header included) and applies
    /// RFC 5798 §7.1's receive checks that need no configuration beyond the VRID.
    /// </summary>
    /// <param name="datagram">IPv4 header plus payload.</param>
    /// <param name="virtualRouterId">Our VRID; others are dropped with <see cref="DropReason.VirtualRouterId"/>.</param>
    /// <param name="requireTtl255">RFC 5798 §7.1: multicast adverts must arrive with TTL 255.</param>
    public static DecodeResult Decode(ReadOnlySpan<byte> datagram, byte virtualRouterId, bool requireTtl255 = true)
    {
        if (datagram.Length < 20) return DecodeResult.Dropped(DropReason.Length);
        if (datagram[0] >> 4 != 4) return DecodeResult.Dropped(DropReason.NotVrrp);
        var ihl = (datagram[0] & 0x0F) * 4;
        if (ihl < 20 || datagram.Length < ihl) return DecodeResult.Dropped(DropReason.Length);
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (totalLength < ihl || totalLength > datagram.Length) return DecodeResult.Dropped(DropReason.Length);
        if (datagram[9] != IpProtocol) return DecodeResult.Dropped(DropReason.NotVrrp);
        var ttl = datagram[8];
        var source = new IPAddress(datagram.Slice(12, 4));
        var destination = new IPAddress(datagram.Slice(16, 4));
        var vrrp = datagram[ihl..totalLength];
        if (vrrp.Length < HeaderLength) return DecodeResult.Dropped(DropReason.Length);
        if (requireTtl255 && ttl != 255) return DecodeResult.Dropped(DropReason.Ttl);
        if (vrrp[0] >> 4 != 3) return DecodeResult.Dropped(DropReason.Version);
        if ((vrrp[0] & 0x0F) != TypeAdvertisement) return DecodeResult.Dropped(DropReason.Type);
        var count = vrrp[3];
        if (count == 0 || vrrp.Length != HeaderLength + 4 * count) return DecodeResult.Dropped(DropReason.AddressCount);
        if (Checksum(vrrp, source, destination) != 0) return DecodeResult.Dropped(DropReason.Checksum);
        if (vrrp[1] != virtualRouterId) return DecodeResult.Dropped(DropReason.VirtualRouterId);
        var interval = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(vrrp[4..]) & 0x0FFF);
        if (interval == 0) return DecodeResult.Dropped(DropReason.AdvertInterval);
        var addresses = new IPAddress[count];
        for (var i = 0; i < count; i++) addresses[i] = new IPAddress(vrrp.Slice(HeaderLength + 4 * i, 4));
        var advert = new VrrpAdvertisement(3, vrrp[1], vrrp[2], interval, addresses);
        return new DecodeResult(new ReceivedAdvertisement(source, destination, ttl, advert), null);
    }

    /// <summary>
    /// RFC 1071 one's-complement sum over the IPv4 pseudo-header {src, dst, 0, 112, length} and
    /// the VRRP message (RFC 5798 §5.2.8). Over a message with its checksum field filled in, a
    /// correct packet sums to 0.
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> vrrpMessage, IPAddress source, IPAddress destination)
    {
        Span<byte> pseudo = stackalloc byte[12];
        source.TryWriteBytes(pseudo[..4], out _);
        destination.TryWriteBytes(pseudo.Slice(4, 4), out _);
        pseudo[8] = 0;
        pseudo[9] = IpProtocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)vrrpMessage.Length);
        uint sum = Add(0, pseudo);
        sum = Add(sum, vrrpMessage);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }
}
