using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Akka.TestKit.Xunit2;
using RedisHaActors.Status;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Status;

/// <summary>The HTTP status endpoint of a node on fakes, on a free loopback port.</summary>
public sealed class StatusEndpointTests : TestKit
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Endpoint_serves_status_JSON_and_Prometheus_metrics_with_drop_counters_and_404_for_anything_else()
    {
        var node = new StatusTestNode();
        var listen = new IPEndPoint(IPAddress.Loopback, StatusTestNode.FreePort());
        var actor = node.Start(Sys, listen);
        AwaitAssert(() => Assert.Equal(VrrpState.Master, StatusTestNode.Ask(actor).Vrrp?.State), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        // A datagram too short for an IPv4 header: dropped and counted as "length".
        node.Transport.Inject([0x45, 0x00, 0x00]);
        AwaitAssert(() => Assert.Equal(1, StatusTestNode.Ask(actor).Vrrp?.Drops.GetValueOrDefault(DropReason.Length)),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
        var baseUrl = $"http://{listen}";

        using var status = await Http.GetAsync($"{baseUrl}/status");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal("application/json", status.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("n1", root.GetProperty("node").GetString());
        Assert.Equal("master", root.GetProperty("vrrp").GetProperty("state").GetString());
        Assert.Equal(1, root.GetProperty("vrrp").GetProperty("drops").GetProperty("length").GetInt64());
        Assert.Equal("master", root.GetProperty("vrrp").GetProperty("lastTransition").GetProperty("to").GetString());
        Assert.True(root.GetProperty("redis").GetProperty("healthy").GetBoolean());
        Assert.Equal("master", root.GetProperty("redis").GetProperty("facts").GetProperty("role").GetString());
        Assert.Equal("master", root.GetProperty("roleFlip").GetProperty("desiredRole").GetString());
        Assert.True(root.GetProperty("uptimeSeconds").GetDouble() >= 0);

        using var metrics = await Http.GetAsync($"{baseUrl}/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var text = await metrics.Content.ReadAsStringAsync();
        foreach (var name in new[]
                 {
                     "redis_ha_vrrp_state", "redis_ha_vrrp_effective_priority", "redis_ha_vrrp_eligible", "redis_ha_vrrp_adverts_sent_total",
                     "redis_ha_vrrp_drops_total", "redis_ha_vrrp_transitions_total", "redis_ha_redis_healthy", "redis_ha_redis_role",
                     "redis_ha_redis_master_repl_offset", "redis_ha_vip_failures_total",
                 })
            Assert.Contains($"# TYPE {name} ", text);
        var lines = text.Split('\n');
        Assert.Contains("redis_ha_vrrp_state 2", lines);
        Assert.Contains("redis_ha_vrrp_eligible 1", lines);
        Assert.Contains("redis_ha_redis_healthy 1", lines);
        Assert.Contains("redis_ha_redis_role 1", lines);
        Assert.Contains("redis_ha_vip_failures_total 0", lines);
        Assert.Contains("redis_ha_vrrp_drops_total{reason=\"length\"} 1", lines);
        Assert.Contains("redis_ha_vrrp_drops_total{reason=\"checksum\"} 0", lines);
        Assert.Contains("redis_ha_vrrp_drops_total{reason=\"unknown_source\"} 0", lines);
        Assert.Contains("redis_ha_vrrp_transitions_total{to=\"master\"} 1", lines);

        foreach (var path in new[] { "/", "/nope", "/status/x", "/metricsx" })
        {
            using var missing = await Http.GetAsync($"{baseUrl}{path}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        using var post = await Http.PostAsync($"{baseUrl}/status", new StringContent(""));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task The_Redis_password_and_the_token_appear_in_neither_status_nor_metrics()
    {
        const string password = "pw-SENTINEL-44";
        const string token = "c0ffee00c0ffee00c0ffee00c0ffee00";
        var node = new StatusTestNode();
        var listen = new IPEndPoint(IPAddress.Loopback, StatusTestNode.FreePort());
        var actor = node.Start(Sys, listen, redisPassword: password, token: new RedisHaActors.Configuration.Secret(token));
        AwaitAssert(() => Assert.Equal(VrrpState.Master, StatusTestNode.Ask(actor).Vrrp?.State), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));

        foreach (var path in new[] { "/status", "/metrics" })
        {
            using var response = await Http.GetAsync($"http://{listen}{path}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("SENTINEL", body);
            Assert.DoesNotContain(token, body);
        }
        Assert.DoesNotContain("SENTINEL", StatusText.Format(StatusTestNode.Ask(actor), DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_port_in_use_is_logged_once_and_the_node_runs_on_without_the_endpoint()
    {
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var listen = (IPEndPoint)occupied.LocalEndpoint;
        var node = new StatusTestNode();

        var actor = EventFilter.Warning(contains: $"status endpoint disabled: cannot listen on {listen}").ExpectOne(() => node.Start(Sys, listen));

        AwaitAssert(() => Assert.Equal(VrrpState.Master, StatusTestNode.Ask(actor).Vrrp?.State), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.True(node.Vips.Held);
    }

    [Fact]
    public void Stopping_the_node_closes_the_endpoint()
    {
        var listen = new IPEndPoint(IPAddress.Loopback, StatusTestNode.FreePort());
        var actor = new StatusTestNode().Start(Sys, listen);
        AwaitAssert(() => Assert.Equal(HttpStatusCode.OK, Http.GetAsync($"http://{listen}/status").Result.StatusCode),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);

        using var again = new TcpListener(listen);
        again.Start(); // the port is free again
    }
}
