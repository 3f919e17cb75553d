using System.Net;
using System.Text.Json;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Malformed VRRP packets of every kind, put on the lab's wire from the client namespace while a
/// real node is MASTER: each is dropped and counted by reason (read through `redis-ha status`),
/// and neither the state nor the VIP moves, although every one of them claims priority 254.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class HostileInputLabTests(ITestOutputHelper output)
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.250");
    private static readonly IPAddress Vip = IPAddress.Parse("192.0.2.100");

    private static byte[] Valid(byte vrid = 51, byte priority = 254, IPAddress[]? addresses = null) =>
        VrrpCodec.EncodeV3(new VrrpAdvertisement(3, vrid, priority, 20, addresses ?? [Vip]), Client, VrrpCodec.MulticastGroup);

    private static byte[] Fix(byte[] vrrp) => RedisHaActors.Tests.Vrrp.TestPackets.FixChecksum(vrrp, Client, VrrpCodec.MulticastGroup);

    private static byte[] Wrap(byte[] vrrp, byte ttl = 255) => Ipv4.Wrap(vrrp, Client, VrrpCodec.MulticastGroup, ttl);

    public static IEnumerable<(string Reason, byte[] Datagram)> Hostile()
    {
        yield return ("length", Wrap(Valid()[..6]));                                     // truncated VRRP header
        var oversized = Valid().Concat(new byte[200]).ToArray();
        yield return ("addressCount", Wrap(oversized));                                 // longer than its address count says
        var badSum = Valid(); badSum[7] ^= 0xFF;
        yield return ("checksum", Wrap(badSum));
        var v2 = Valid(); v2[0] = 0x21;
        yield return ("version", Wrap(Fix(v2)));
        var type2 = Valid(); type2[0] = 0x32;
        yield return ("type", Wrap(Fix(type2)));
        yield return ("ttl", Wrap(Valid(), ttl: 64));
        yield return ("virtualRouterId", Wrap(Valid(vrid: 52)));
        var count = Valid(); count[3] = 3;
        yield return ("addressCount", Wrap(Fix(count)));
        yield return ("addressList", Wrap(Valid(addresses: [IPAddress.Parse("192.0.2.77")])));
        var random = new byte[57];
        new Random(7).NextBytes(random);
        yield return ("any", Wrap(random));
    }

    private static Dictionary<string, long> Drops(NamespaceLab lab)
    {
        var json = NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "n1", "dotnet", LabBinaries.CoordinatorDll(), "status", "--json"]);
        using var doc = JsonDocument.Parse(json);
        var vrrp = doc.RootElement.GetProperty("vrrp");
        var drops = vrrp.GetProperty("drops").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        drops["@state"] = vrrp.GetProperty("state").GetString() == "master" ? 1 : 0;
        return drops;
    }

    [Fact]
    public void Every_malformed_packet_is_dropped_and_counted_and_the_master_keeps_the_VIP()
    {
        using var lab = new NamespaceLab(nodes: 1, output: output);
        lab.StartRedis(1);
        lab.StartNode(1, priority: 100, preempt: true);
        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(30), "n1 holds the VIP");
        lab.WaitUntil(() => { try { return Drops(lab)["@state"] == 1; } catch (Exception) { return false; } },
            TimeSpan.FromSeconds(30), "status endpoint answers");
        var before = Drops(lab);

        var packets = Hostile().ToArray();
        foreach (var (_, datagram) in packets)
            NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "c", "dotnet", LabBinaries.WriterDll(),
                "inject", "--dst", "224.0.0.18", "--hex", Convert.ToHexString(datagram), "--count", "5"]);

        Dictionary<string, long> after = before;
        lab.WaitUntil(() =>
        {
            after = Drops(lab);
            return packets.Where(p => p.Reason != "any").All(p => after.GetValueOrDefault(p.Reason) >= before.GetValueOrDefault(p.Reason) + 5);
        }, TimeSpan.FromSeconds(15), "every kind counted");
        var total = (string[] keys) => keys.Sum(k => after.GetValueOrDefault(k) - before.GetValueOrDefault(k));
        // The random bytes land under whichever reason they break first; all 50 + 5 packets are counted.
        Assert.True(total(after.Keys.Where(k => k != "@state" && k != "ownAdvert").ToArray()) >= packets.Length * 5,
            string.Join(", ", after.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(1, after["@state"]);
        Assert.Equal([1], lab.VipHolders());
        Assert.DoesNotContain("Exception", lab.NodeLog(1));
        Assert.DoesNotContain("MASTER -> ", lab.NodeLog(1));
        output.WriteLine(string.Join(", ", after.Select(kv => $"{kv.Key}={kv.Value - before.GetValueOrDefault(kv.Key)}")));
    }
}
