using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using RedisHaActors.Configuration;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>One captured keepalived advert from Vectors/keepalived-adverts.txt.</summary>
/// <param name="Name">The <c># name:</c> line.</param>
/// <param name="Expect">The <c># expect:</c> fields (key=value).</param>
/// <param name="Datagram">The whole IPv4 packet from the <c>hex:</c> line.</param>
public sealed record AdvertVector(string Name, IReadOnlyDictionary<string, string> Expect, byte[] Datagram)
{
    public int Version => int.Parse(Expect["version"], CultureInfo.InvariantCulture);
    public byte Vrid => byte.Parse(Expect["vrid"], CultureInfo.InvariantCulture);
    public byte Priority => byte.Parse(Expect["priority"], CultureInfo.InvariantCulture);
    public ushort IntervalCs => ushort.Parse(Expect["maxadvint_cs"], CultureInfo.InvariantCulture);
    public int Count => int.Parse(Expect["count"], CultureInfo.InvariantCulture);
    public IPAddress[] Addresses => Expect["addrs"].Split(',').Select(IPAddress.Parse).ToArray();
    public IPAddress Source => IPAddress.Parse(Expect["src"]);
    public IPAddress Destination => IPAddress.Parse(Expect["dst"]);
    public byte Ttl => byte.Parse(Expect["ttl"], CultureInfo.InvariantCulture);
    public ushort Checksum => ushort.Parse(Expect["checksum"].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>IP header length from the IHL field.</summary>
    public int IpHeaderLength => (Datagram[0] & 0x0F) * 4;

    /// <summary>The VRRP message: after the IP header, up to the IP total length.</summary>
    public byte[] Vrrp => Datagram[IpHeaderLength..BinaryPrimitives.ReadUInt16BigEndian(Datagram.AsSpan(2))];

    public override string ToString() => Name;
}

/// <summary>Reads the vector file and builds packets by hand.</summary>
public static class TestPackets
{
    public static readonly IPAddress Node1 = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress Node2 = IPAddress.Parse("192.0.2.2");
    public static readonly IPAddress Node3 = IPAddress.Parse("192.0.2.3");
    public static readonly IPAddress Vip = IPAddress.Parse("192.0.2.100");

    private static readonly Lazy<IReadOnlyList<AdvertVector>> Vectors = new(Load);

    public static IReadOnlyList<AdvertVector> All => Vectors.Value;

    public static IEnumerable<AdvertVector> V3 => All.Where(v => v.Version == 3);

    public static IEnumerable<AdvertVector> V2 => All.Where(v => v.Version == 2);

    public static AdvertVector Named(string name) => All.Single(v => v.Name == name);

    private static IReadOnlyList<AdvertVector> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vectors", "keepalived-adverts.txt");
        var result = new List<AdvertVector>();
        string? name = null;
        Dictionary<string, string>? expect = null;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith("# name:", StringComparison.Ordinal))
            {
                name = line["# name:".Length..].Trim();
                expect = null;
            }
            else if (line.StartsWith("# expect:", StringComparison.Ordinal))
            {
                expect = line["# expect:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(kv => kv.Split('=', 2))
                    .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            }
            else if (line.StartsWith("hex:", StringComparison.Ordinal))
            {
                if (name is null || expect is null)
                    throw new InvalidDataException($"hex: line without # name: and # expect: in {path}");
                result.Add(new AdvertVector(name, expect, Convert.FromHexString(line["hex:".Length..].Trim())));
                name = null;
                expect = null;
            }
            // Every other line (other comments, blank) is ignored.
        }
        return result;
    }

    /// <summary>Wraps a VRRP message in a hand-built IPv4 header (IHL 5 unless options are given).</summary>
    public static byte[] Ipv4(byte[] payload, IPAddress source, IPAddress destination,
        byte ttl = 255, byte protocol = 112, int optionsLength = 0, int? totalLengthOverride = null)
    {
        var ihl = 20 + optionsLength;
        var packet = new byte[ihl + payload.Length];
        packet[0] = (byte)(0x40 | ihl / 4);
        packet[1] = 0xC0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(totalLengthOverride ?? packet.Length));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 1);
        packet[8] = ttl;
        packet[9] = protocol;
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        for (var i = 20; i < ihl; i++) packet[i] = 0x01; // NOP options
        uint sum = 0;
        for (var i = 0; i < ihl; i += 2) sum += (uint)(packet[i] << 8 | packet[i + 1]);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~sum);
        payload.CopyTo(packet, ihl);
        return packet;
    }

    /// <summary>Recomputes the VRRPv3 checksum of <paramref name="vrrp"/> in place.</summary>
    public static byte[] FixChecksum(byte[] vrrp, IPAddress source, IPAddress destination)
    {
        vrrp[6] = 0;
        vrrp[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(vrrp.AsSpan(6), VrrpCodec.Checksum(vrrp, source, destination));
        return vrrp;
    }

    /// <summary>A VRRP message built byte by byte (not through the encoder), checksum made valid.</summary>
    public static byte[] RawVrrp(byte versionType, byte vrid, byte priority, byte count, ushort intervalField,
        IReadOnlyList<IPAddress> addresses, IPAddress source, IPAddress destination)
    {
        var vrrp = new byte[8 + 4 * addresses.Count];
        vrrp[0] = versionType;
        vrrp[1] = vrid;
        vrrp[2] = priority;
        vrrp[3] = count;
        BinaryPrimitives.WriteUInt16BigEndian(vrrp.AsSpan(4), intervalField);
        for (var i = 0; i < addresses.Count; i++) addresses[i].TryWriteBytes(vrrp.AsSpan(8 + 4 * i, 4), out _);
        return FixChecksum(vrrp, source, destination);
    }

    /// <summary>VRRP settings for tests, all addresses in 192.0.2.0/24.</summary>
    public static VrrpSettings Settings(byte priority = 200, ushort intervalCs = 100, bool preempt = true, int leaseSeconds = 2, byte vrid = 51) =>
        new("eth0", vrid, priority, TimeSpan.FromMilliseconds(intervalCs * 10), 3, preempt,
            [new VirtualAddress(Vip, 24)], TimeSpan.FromSeconds(leaseSeconds), 5);
}
