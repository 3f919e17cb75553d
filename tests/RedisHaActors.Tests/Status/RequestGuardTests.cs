using System.Net;
using RedisHaActors.Configuration;
using RedisHaActors.Status;

namespace RedisHaActors.Tests.Status;

/// <summary>The status endpoint's rules (<see cref="RequestGuard"/>), as decisions: no sockets.</summary>
public sealed class RequestGuardTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 9680);
    private static readonly Secret Token = new("0123456789abcdef0123456789abcdef");
    private const string Bearer = "Bearer 0123456789abcdef0123456789abcdef";

    private static RequestFacts Post(string? authorization = Bearer, string? contentType = null, bool hasBody = false, string? origin = null,
        string host = "127.0.0.1:9680") =>
        new("POST", "/switchover", host, origin, contentType, hasBody, authorization);

    private static RequestFacts Get(string path = "/status", string? origin = null, string host = "127.0.0.1:9680") =>
        new("GET", path, host, origin, null, false, null);

    [Fact]
    public void Reading_is_open_on_loopback_without_a_token()
    {
        Assert.Null(RequestGuard.Check(Get("/status"), Loopback, null));
        Assert.Null(RequestGuard.Check(Get("/metrics"), Loopback, Token));
        Assert.Null(RequestGuard.Check(Get("/nope"), Loopback, Token)); // the server answers 404
    }

    [Fact]
    public void An_action_with_the_right_bearer_token_and_no_body_is_served()
    {
        Assert.Null(RequestGuard.Check(Post(), Loopback, Token));
        Assert.Null(RequestGuard.Check(Post("bearer   0123456789abcdef0123456789abcdef "), Loopback, Token));
    }

    [Fact]
    public void An_action_without_a_configured_token_is_refused_with_403_naming_the_key()
    {
        var refusal = RequestGuard.Check(Post(), Loopback, null);
        Assert.Equal(403, refusal?.StatusCode);
        Assert.Contains("redis-ha.status.token-file", refusal!.Message);
        Assert.DoesNotContain('\n', refusal.Message);
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("", 401)]
    [InlineData("Basic dXNlcjpwYXNz", 401)]
    [InlineData("Bearer", 401)]
    [InlineData("Bearer 0123456789abcdef0123456789abcdeX", 403)]
    [InlineData("Bearer 0123456789abcdef", 403)]
    [InlineData("Bearer 0123456789abcdef0123456789abcdef0", 403)]
    public void An_action_with_a_missing_or_wrong_token_is_refused(string? authorization, int code)
    {
        var refusal = RequestGuard.Check(Post(authorization), Loopback, Token);
        Assert.Equal(code, refusal?.StatusCode);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", false)] // an HTML form without fields
    [InlineData("application/x-www-form-urlencoded", true)]
    [InlineData("multipart/form-data; boundary=x", true)]
    [InlineData("text/plain", true)]
    [InlineData("application/json", true)]
    [InlineData(null, true)]
    public void An_action_with_a_body_or_a_content_type_is_refused_even_with_the_token(string? contentType, bool hasBody)
    {
        var refusal = RequestGuard.Check(Post(contentType: contentType, hasBody: hasBody), Loopback, Token);
        Assert.Equal(415, refusal?.StatusCode);
        Assert.Contains("form posts are refused", refusal!.Message);
    }

    [Fact]
    public void Any_Origin_header_is_refused_for_reads_and_actions()
    {
        foreach (var request in new[] { Post(origin: "http://evil.example"), Post(origin: "null"), Get(origin: "http://127.0.0.1:9680") })
            Assert.Equal(403, RequestGuard.Check(request, Loopback, Token)?.StatusCode);
    }

    [Theory]
    [InlineData("rebind.example:9680")]
    [InlineData("localhost:9680")]
    [InlineData("127.0.0.1:9681")]
    [InlineData("127.0.0.1")]
    [InlineData(null)]
    public void On_loopback_a_Host_other_than_the_listen_address_is_refused(string? host)
    {
        Assert.Equal(403, RequestGuard.Check(Get(host: host!), Loopback, Token)?.StatusCode);
        Assert.Equal(403, RequestGuard.Check(Post(host: host!), Loopback, Token)?.StatusCode);
    }

    [Fact]
    public void On_port_80_the_Host_may_leave_the_port_out()
    {
        var http = new IPEndPoint(IPAddress.Loopback, 80);
        Assert.Null(RequestGuard.Check(Get(host: "127.0.0.1"), http, Token));
        Assert.Null(RequestGuard.Check(Get(host: "127.0.0.1:80"), http, Token));
        Assert.Equal(403, RequestGuard.Check(Get(host: "rebind.example"), http, Token)?.StatusCode);
    }

    [Fact]
    public void Off_loopback_any_Host_may_read_and_actions_still_need_the_token()
    {
        var any = new IPEndPoint(IPAddress.Any, 9680);
        Assert.Null(RequestGuard.Check(Get(host: "203.0.113.7:9680"), any, Token));
        Assert.Null(RequestGuard.Check(Post(host: "redis-1.example:9680"), any, Token));
        Assert.Equal(401, RequestGuard.Check(Post(authorization: null, host: "redis-1.example:9680"), any, Token)?.StatusCode);
    }

    [Fact]
    public void A_GET_of_an_action_is_405_and_a_witness_serves_no_action()
    {
        Assert.Equal(405, RequestGuard.Check(Get("/switchover"), Loopback, Token)?.StatusCode);
        Assert.Null(RequestGuard.Check(Post(authorization: null), Loopback, null, actionsServed: false)); // answered 404
        Assert.Equal(403, RequestGuard.Check(Post(origin: "http://evil.example"), Loopback, null, actionsServed: false)?.StatusCode);
    }
}
