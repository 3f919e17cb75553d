using System.Net;
using System.Net.Sockets;
using RedisHaActors.Primitives;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Primitives;

/// <summary>A refused TCP connection is proof that nothing listens; a listening port is not refused (loopback only).</summary>
public sealed class TcpRefusalTests
{
    [Fact]
    public async Task A_released_port_is_refused_and_a_listening_one_is_not()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            Assert.False(await TcpRefusal.IsRefusedAsync("127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
            Assert.Null(await ProcessGone.ProveAsync("127.0.0.1", port, "127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
            Assert.Null(await ProcessGone.CoordinatorGoneAsync("127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
        }
        finally
        {
            listener.Stop();
        }
        Assert.True(await TcpRefusal.IsRefusedAsync("127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.Contains("refuses connections (the process is gone)",
            await ProcessGone.CoordinatorGoneAsync("127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.Contains("refuse connections (both processes are gone)",
            await ProcessGone.ProveAsync("127.0.0.1", port, "127.0.0.1", port, TimeSpan.FromSeconds(2), CancellationToken.None));
    }

    [Fact]
    public void A_cluster_address_gives_the_endpoint_a_refusal_is_asked_at()
    {
        Assert.Equal(("192.0.2.1", 4053), RedisHaActors.Hosting.GossipMapping.ClusterEndpoint("akka.tcp://redis-ha@192.0.2.1:4053"));
        Assert.Equal(("", 0), RedisHaActors.Hosting.GossipMapping.ClusterEndpoint("not an address"));
    }
}
