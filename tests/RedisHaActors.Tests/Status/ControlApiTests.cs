using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using RedisHaActors.Configuration;
using RedisHaActors.Control;
using RedisHaActors.Status;

namespace RedisHaActors.Tests.Status;

/// <summary>The control API of <see cref="StatusHttpServer"/> on a free loopback port, with real HTTP requests.</summary>
public sealed class ControlApiTests : IDisposable
{
    private const string TokenText = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly IPEndPoint _listen = new(IPAddress.Loopback, StatusTestNode.FreePort());
    private readonly ConcurrentQueue<string> _switchovers = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly ConcurrentQueue<(string Action, bool Flag)> _controls = new();
    private StatusHttpServer? _server;

    private static NodeStatus Status() => new("n1", DateTimeOffset.UtcNow, 1, "eth0", 51, 200, ["192.0.2.100/24"], null, null, null);

    private StatusHttpServer Start(Secret? token)
    {
        _server = StatusHttpServer.Start(_listen, _ => Task.FromResult(Status()), _warnings.Enqueue,
            (to, _) =>
            {
                _switchovers.Enqueue(to);
                return Task.FromResult(new SwitchoverResult(true, $"switchover to {to} done"));
            },
            token,
            (action, flag, _) =>
            {
                _controls.Enqueue((action, flag));
                return Task.FromResult(new ControlResult(flag, flag ? $"{action} done" : $"refused without --accept-loss: {action} would override 'x'"));
            });
        return _server;
    }

    private HttpRequestMessage Switchover(string? bearer = TokenText, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_listen}/switchover?to=n2") { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return request;
    }

    private async Task<(HttpStatusCode Code, string Body)> Send(HttpRequestMessage request)
    {
        using (request)
        using (var response = await Http.SendAsync(request))
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>One request written byte for byte (any Host header), the status line read back.</summary>
    private async Task<string> RawStatusLine(string requestText)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_listen);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(requestText));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await reader.ReadLineAsync(timeout.Token) ?? "";
    }

    [Fact]
    public async Task Without_a_token_configured_reading_works_and_an_action_is_refused_403_naming_the_key()
    {
        Start(token: null);
        Assert.Equal(HttpStatusCode.OK, (await Send(new HttpRequestMessage(HttpMethod.Get, $"http://{_listen}/status"))).Code);

        var (code, body) = await Send(Switchover(bearer: null));
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Contains("set redis-ha.status.token-file", body);
        Assert.Single(body.Trim().Split('\n'));
        Assert.Empty(_switchovers);
    }

    [Fact]
    public async Task An_action_needs_the_bearer_token()
    {
        Start(new Secret(TokenText));

        using (var missing = await Http.SendAsync(Switchover(bearer: null)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(Switchover(bearer: "c0ffee00c0ffee00c0ffee00c0ffee01"))).Code);
        Assert.Empty(_switchovers);

        var (code, body) = await Send(Switchover());
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("switchover to n2 done\n", body);
        Assert.Equal(["n2"], _switchovers);
    }

    [Fact]
    public async Task A_form_post_is_refused_even_with_the_token_and_an_Origin_header_is_refused()
    {
        Start(new Secret(TokenText));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(Switchover(content: new FormUrlEncodedContent([new("to", "n2")])))).Code);
        // An HTML form without fields: empty body, form content type.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(Switchover(content: new StringContent("", Encoding.ASCII, "application/x-www-form-urlencoded")))).Code);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(Switchover(content: new StringContent("{}", Encoding.UTF8, "text/plain")))).Code);

        var fromPage = Switchover();
        fromPage.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(fromPage)).Code);
        var readFromPage = new HttpRequestMessage(HttpMethod.Get, $"http://{_listen}/status");
        readFromPage.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(readFromPage)).Code);
        Assert.Empty(_switchovers);
    }

    [Fact]
    public async Task A_DNS_rebinding_host_name_gets_neither_status_nor_an_action()
    {
        Start(new Secret(TokenText));
        var ours = await RawStatusLine($"GET /status HTTP/1.1\r\nHost: {_listen}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200", ours);

        var read = await RawStatusLine($"GET /status HTTP/1.1\r\nHost: rebind.example:{_listen.Port}\r\nConnection: close\r\n\r\n");
        var act = await RawStatusLine($"POST /switchover?to=n2 HTTP/1.1\r\nHost: rebind.example:{_listen.Port}\r\n" +
                                      $"Authorization: Bearer {TokenText}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.Matches(@"^HTTP/1\.1 4\d\d", read);
        Assert.Matches(@"^HTTP/1\.1 4\d\d", act);
        Assert.Empty(_switchovers);
    }

    [Fact]
    public async Task Refused_actions_are_logged_at_most_once_per_interval_with_the_count()
    {
        Start(new Secret(TokenText));
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(Switchover(bearer: null))).Code);
        var line = Assert.Single(_warnings);
        Assert.Contains("POST /switchover from 127.0.0.1:", line);
        Assert.Contains("refused (401)", line);
        Assert.DoesNotContain(TokenText, line);
    }

    [Fact]
    public async Task Promote_is_an_action_like_switchover_and_carries_accept_loss_only_when_asked()
    {
        Start(new Secret(TokenText));
        HttpRequestMessage Promote(string query = "", string? bearer = TokenText, HttpContent? content = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_listen}/promote{query}") { Content = content };
            if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            return request;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(Promote(bearer: null))).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(Promote(bearer: "c0ffee00c0ffee00c0ffee00c0ffee01"))).Code);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(Promote("?accept-loss", content: new FormUrlEncodedContent([new("accept-loss", "1")])))).Code);
        var fromPage = Promote("?accept-loss");
        fromPage.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(fromPage)).Code);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Send(new HttpRequestMessage(HttpMethod.Get, $"http://{_listen}/promote?accept-loss"))).Code);
        Assert.Empty(_controls);

        var (code, body) = await Send(Promote());
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.StartsWith("refused without --accept-loss", body);
        (code, body) = await Send(Promote("?accept-loss"));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("promote done\n", body);
        Assert.Equal([("promote", false), ("promote", true)], _controls);
        // resume's flag is its own: ?accept-loss is no force.
        await Send(new HttpRequestMessage(HttpMethod.Post, $"http://{_listen}/resume?accept-loss") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", TokenText) } });
        Assert.Equal(("resume", false), _controls.Last());
    }

    public void Dispose() => _server?.Dispose();
}
