using System.Buffers.Binary;
using System.Net;
using RedisHaActors.Configuration;

namespace RedisHaActors.Vrrp;

/// <summary>
/// VRRP for IPv4, version 3 (RFC 5798 §5) and version 2 (RFC 3768 §5): encoding of our adverts
/// and strict decoding of received IPv4 datagrams. Pure: no I/O. Decoding never throws; it
/// returns a packet or a drop reason. v3 checksums cover the IPv4 pseudo-header (so a unicast
/// advert's checksum depends on its destination), v2 checksums the VRRP message only.
/// </summary>
public static class VrrpCodec
{
    /// <summary>IANA protocol number of VRRP.</summary>
    public const int IpProtocol = 112;

    /// <summary>RFC 5798 §5.1.1.2: IPv4 multicast destination of adverts.</summary>
    public static readonly IPAddress MulticastGroup = IPAddress.Parse("224.0.0.18");

    private const int HeaderLength = 8;
    private const byte TypeAdvertisement = 1;
    private const int AuthenticationDataLength = 8;

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
        WriteAddresses(advert, buffer);
        var sum = Checksum(buffer, source, destination);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(6), sum);
        return buffer;
    }

    /// <summary>
    /// Builds a VRRPv2 advertisement (RFC 3768 §5.3): interval in whole seconds, 8 bytes of
    /// Authentication Data (the PASS password zero-padded, or zeros), checksum over the message only.
    /// </summary>
    /// <exception cref="ArgumentException">No address, more than 255, a non-IPv4 address, or an interval that is not 1..255 whole seconds.</exception>
    public static byte[] EncodeV2(VrrpAdvertisement advert, VrrpAuthentication authentication)
    {
        if (advert.Addresses.Count is 0 or > 255) throw new ArgumentException("1..255 addresses are required", nameof(advert));
        if (advert.MaxAdvertIntervalCentiseconds % 100 != 0 || advert.MaxAdvertIntervalCentiseconds / 100 is 0 or > 255)
            throw new ArgumentException("VRRPv2 intervals are 1..255 whole seconds", nameof(advert));
        var addressEnd = HeaderLength + 4 * advert.Addresses.Count;
        var buffer = new byte[addressEnd + AuthenticationDataLength];
        buffer[0] = 2 << 4 | TypeAdvertisement;
        buffer[1] = advert.VirtualRouterId;
        buffer[2] = advert.Priority;
        buffer[3] = (byte)advert.Addresses.Count;
        buffer[4] = (byte)authentication.Type;
        buffer[5] = (byte)(advert.MaxAdvertIntervalCentiseconds / 100);
        WriteAddresses(advert, buffer);
        authentication.AuthenticationData().CopyTo(buffer, addressEnd);
        var sum = Fold(Add(0, buffer));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(6), sum);
        return buffer;
    }

    /// <summary>Encodes <paramref name="advert"/> in its version (2 or 3) for <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="EncodeV3"/> / <see cref="EncodeV2"/>.</exception>
    public static byte[] Encode(VrrpAdvertisement advert, IPAddress source, IPAddress destination, VrrpAuthentication authentication) =>
        advert.Version == 2 ? EncodeV2(advert, authentication) : EncodeV3(advert, source, destination);

    /// <summary>True when the advert carries exactly our virtual addresses (order ignored, as keepalived).</summary>
    public static bool AddressListMatches(VrrpAdvertisement advert, IReadOnlyList<IPAddress> ours) =>
        advert.Addresses.Count == ours.Count && advert.Addresses.All(ours.Contains);

    /// <summary>
    /// Decodes a whole IPv4 datagram as a raw socket delivers it (IP header included) with the
    /// receive checks of RFC 5798 §7.1 / RFC 3768 §7.1 for <paramref name="options"/>: TTL 255,
    /// version, type, length and address count, checksum, VRID, and for v2 authentication and interval.
    /// </summary>
    public static DecodeResult Decode(ReadOnlySpan<byte> datagram, VrrpWireOptions options)
    {
        if (options.Version == 3) return Decode(datagram, options.VirtualRouterId);
        if (!TryIpHeader(datagram, out var source, out var destination, out var ttl, out var vrrp, out var drop))
            return DecodeResult.Dropped(drop);
        if (ttl != 255) return DecodeResult.Dropped(DropReason.Ttl);
        if (vrrp[0] >> 4 != 2) return DecodeResult.Dropped(DropReason.Version);
        if ((vrrp[0] & 0x0F) != TypeAdvertisement) return DecodeResult.Dropped(DropReason.Type);
        var count = vrrp[3];
        if (count == 0 || vrrp.Length != HeaderLength + 4 * count + AuthenticationDataLength) return DecodeResult.Dropped(DropReason.AddressCount);
        if (Fold(Add(0, vrrp)) != 0) return DecodeResult.Dropped(DropReason.Checksum);
        if (vrrp[1] != options.VirtualRouterId) return DecodeResult.Dropped(DropReason.VirtualRouterId);
        var auth = options.Authentication;
        if (vrrp[4] != (byte)auth.Type ||
            (auth.Type == VrrpAuthenticationType.Pass && !vrrp.Slice(HeaderLength + 4 * count, AuthenticationDataLength).SequenceEqual(auth.AuthenticationData())))
            return DecodeResult.Dropped(DropReason.Authentication);
        var seconds = vrrp[5];
        if (seconds == 0 || seconds * 100 != options.AdvertIntervalCentiseconds) return DecodeResult.Dropped(DropReason.AdvertInterval);
        var advert = new VrrpAdvertisement(2, vrrp[1], vrrp[2], (ushort)(seconds * 100), ReadAddresses(vrrp, count));
        return new DecodeResult(new ReceivedAdvertisement(source, destination, ttl, advert), null);
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
        if (!TryIpHeader(datagram, out var source, out var destination, out var ttl, out var vrrp, out var drop))
            return DecodeResult.Dropped(drop);
        if (requireTtl255 && ttl != 255) return DecodeResult.Dropped(DropReason.Ttl);
        if (vrrp[0] >> 4 != 3) return DecodeResult.Dropped(DropReason.Version);
        if ((vrrp[0] & 0x0F) != TypeAdvertisement) return DecodeResult.Dropped(DropReason.Type);
        var count = vrrp[3];
        if (count == 0 || vrrp.Length != HeaderLength + 4 * count) return DecodeResult.Dropped(DropReason.AddressCount);
        if (Checksum(vrrp, source, destination) != 0) return DecodeResult.Dropped(DropReason.Checksum);
        if (vrrp[1] != virtualRouterId) return DecodeResult.Dropped(DropReason.VirtualRouterId);
        var interval = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(vrrp[4..]) & 0x0FFF);
        if (interval == 0) return DecodeResult.Dropped(DropReason.AdvertInterval);
        var advert = new VrrpAdvertisement(3, vrrp[1], vrrp[2], interval, ReadAddresses(vrrp, count));
        return new DecodeResult(new ReceivedAdvertisement(source, destination, ttl, advert), null);
    }

    private static bool TryIpHeader(ReadOnlySpan<byte> datagram, out IPAddress source, out IPAddress destination, out byte ttl,
        out ReadOnlySpan<byte> vrrp, out DropReason drop)
    {
        source = destination = IPAddress.None;
        ttl = 0;
        vrrp = default;
        drop = DropReason.Length;
        if (datagram.Length < 20) return false;
        if (datagram[0] >> 4 != 4) { drop = DropReason.NotVrrp; return false; }
        var ihl = (datagram[0] & 0x0F) * 4;
        if (ihl < 20 || datagram.Length < ihl) return false;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (totalLength < ihl || totalLength > datagram.Length) return false;
        if (datagram[9] != IpProtocol) { drop = DropReason.NotVrrp; return false; }
        ttl = datagram[8];
        source = new IPAddress(datagram.Slice(12, 4));
        destination = new IPAddress(datagram.Slice(16, 4));
        vrrp = datagram[ihl..totalLength];
        return vrrp.Length >= HeaderLength;
    }

    private static IPAddress[] ReadAddresses(ReadOnlySpan<byte> vrrp, int count)
    {
        var addresses = new IPAddress[count];
        for (var i = 0; i < count; i++) addresses[i] = new IPAddress(vrrp.Slice(HeaderLength + 4 * i, 4));
        return addresses;
    }

    private static void WriteAddresses(VrrpAdvertisement advert, byte[] buffer)
    {
        for (var i = 0; i < advert.Addresses.Count; i++)
            if (!advert.Addresses[i].TryWriteBytes(buffer.AsSpan(HeaderLength + 4 * i, 4), out var written) || written != 4)
                throw new ArgumentException("IPv4 addresses only", nameof(advert));
    }

    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
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
        return Fold(Add(Add(0, pseudo), vrrpMessage));
    }

    private static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }
}
