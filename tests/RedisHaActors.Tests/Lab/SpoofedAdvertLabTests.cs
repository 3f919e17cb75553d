using System.Net;
using System.Text.Json;
using RedisHaActors.Tests.Fakes;
using RedisHaActors.Vrrp;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// A valid spoofed advert (our VRID and address list, priority 254) from a host that is not a peer,
/// which runs a Redis master with keys on the Redis port: the master (with unicast-peers) keeps the
/// VIP, the advert is counted as unknown_source, and the spoofer's Redis never sees a connection
/// from the node (no probe, no AUTH, no REPLICAOF).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class SpoofedAdvertLabTests(ITestOutputHelper output)
{
    private static readonly IPAddress Spoofer = IPAddress.Parse("192.0.2.250");
    private static readonly IPAddress Node1 = IPAddress.Parse("192.0.2.1");

    private static Dictionary<string, long> Drops(NamespaceLab lab)
    {
        var json = NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "n1", "dotnet", LabBinaries.CoordinatorDll(), "status", "--json"]);
        using var doc = JsonDocument.Parse(json);
        var vrrp = doc.RootElement.GetProperty("vrrp");
        var drops = vrrp.GetProperty("drops").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        drops["@master"] = vrrp.GetProperty("state").GetString() == "master" ? 1 : 0;
        return drops;
    }

    [Fact]
    public void A_valid_spoofed_advert_from_a_non_peer_is_dropped_and_counted_the_master_keeps_the_VIP_and_never_connects_to_the_spoofer()
    {
        // Two namespaces, one node: n2 (192.0.2.2) is the configured peer, not running, so the test is about n1 alone.
        using var lab = new NamespaceLab(nodes: 2, output: output);
        lab.StartRedis(1);
        lab.StartNode(1, priority: 100, preempt: true, extra: """redis-ha.vrrp.unicast-peers = ["192.0.2.2"]""");
        // The spoofer's listener: a Redis master with a key on 192.0.2.250:6379 that logs every accepted connection.
        var spoofLog = Path.Combine(lab.OutDir, "spoofer-redis.log");
        var spoofDir = Directory.CreateDirectory(Path.Combine(lab.OutDir, "spoofer-redis")).FullName;
        NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "c", LabBinaries.RedisServer, "--port", "6379", "--bind", Spoofer.ToString(),
            "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "yes", "--loglevel", "verbose",
            "--dir", spoofDir, "--logfile", spoofLog]);
        lab.WaitUntil(() => NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "c", LabBinaries.RedisCli, "-h", Spoofer.ToString(), "set", "stolen", "1"],
            check: false).Trim() == "OK", TimeSpan.FromSeconds(10), "the spoofer's Redis answers");

        lab.WaitUntil(() => lab.VipHolders().SequenceEqual([1]), TimeSpan.FromSeconds(30), "n1 holds the VIP");
        lab.WaitUntil(() => { try { return Drops(lab)["@master"] == 1; } catch (Exception) { return false; } },
            TimeSpan.FromSeconds(30), "status endpoint answers");
        var before = Drops(lab);

        // Unicast to n1 (a unicast node need not listen on 224.0.0.18); v3's checksum covers that destination.
        var advert = Ipv4.Wrap(VrrpCodec.EncodeV3(new VrrpAdvertisement(3, 51, 254, 20, [IPAddress.Parse(LabConfig.Vip)]), Spoofer, Node1),
            Spoofer, Node1);
        // 2 s of spoofing: ten bursts of five, 200 ms apart (the node's advert interval).
        for (var round = 0; round < 10; round++)
        {
            NamespaceLab.Run("ip", ["netns", "exec", lab.Prefix + "c", "dotnet", LabBinaries.WriterDll(),
                "inject", "--dst", Node1.ToString(), "--hex", Convert.ToHexString(advert), "--count", "5"]);
            Thread.Sleep(200);
        }

        Dictionary<string, long> after = before;
        lab.WaitUntil(() =>
        {
            after = Drops(lab);
            return after.GetValueOrDefault("unknownSource") >= before.GetValueOrDefault("unknownSource") + 50;
        }, TimeSpan.FromSeconds(15), "every spoofed advert counted as unknownSource");
        // Time for anything the adverts could have started (a probe of the spoofer's Redis, a REPLICAOF) to show.
        Thread.Sleep(2000);
        Assert.Equal(1, Drops(lab)["@master"]);
        Assert.Equal([1], lab.VipHolders());
        var log = lab.NodeLog(1);
        Assert.DoesNotContain("MASTER -> ", log);
        Assert.Contains("dropping VRRP adverts from 192.0.2.250", log);
        Assert.Equal("master", lab.Role(1));
        var accepted = File.ReadAllLines(spoofLog).Where(l => l.Contains("Accepted ", StringComparison.Ordinal)).ToArray();
        Assert.Contains(accepted, l => l.Contains($"Accepted {Spoofer}:", StringComparison.Ordinal)); // the listener logs what it accepts
        Assert.DoesNotContain(accepted, l => l.Contains("Accepted 192.0.2.1:", StringComparison.Ordinal));
        output.WriteLine($"unknownSource +{after["unknownSource"] - before.GetValueOrDefault("unknownSource")}; spoofer's Redis accepted: {string.Join(" | ", accepted)}");
    }
}
