using System.Net;
using RedisHaActors.Configuration;

namespace RedisHaActors.Status;

/// <summary>What the status endpoint knows of a request before serving it (headers only; no body is read).</summary>
/// <param name="Method">HTTP method, e.g. <c>POST</c>.</param>
/// <param name="Path">The URL's path, e.g. <c>/switchover</c>.</param>
/// <param name="Host">The <c>Host</c> header; null when absent.</param>
/// <param name="Origin">The <c>Origin</c> header; null when absent (browsers send it on cross-origin and on every POST).</param>
/// <param name="ContentType">The <c>Content-Type</c> header; null when absent.</param>
/// <param name="HasBody">Whether a body follows (a non-zero <c>Content-Length</c>, or chunked).</param>
/// <param name="Authorization">The <c>Authorization</c> header; null when absent.</param>
public sealed record RequestFacts(string Method, string Path, string? Host, string? Origin, string? ContentType, bool HasBody, string? Authorization);

/// <summary>Why a request is not served: the HTTP status code and one line for the client.</summary>
/// <param name="StatusCode">401 (no or malformed credentials: the answer carries <c>WWW-Authenticate: Bearer</c>),
/// 403 (refused), 405 (wrong method) or 415 (a body or content type an action does not take).</param>
/// <param name="Message">One line naming the rule and what to do.</param>
public sealed record Refusal(int StatusCode, string Message);

/// <summary>
/// The status endpoint's rules, applied before any route runs. Reading (<c>GET /status</c>,
/// <c>GET /metrics</c>) is open; an action (<c>POST /switchover</c>) needs the bearer token of
/// <c>redis-ha.status.token-file</c>. A browser must not be usable against either: a request with
/// an <c>Origin</c> header (which browsers add to cross-site and to every POST request) is refused,
/// an action takes no body and no content type (so no HTML form can send one, empty or not), and on
/// a loopback listen the <c>Host</c> header must name the listen address itself (a DNS-rebinding
/// page's host name is refused). Pure: the decision only, for <see cref="StatusHttpServer"/>.
/// </summary>
public static class RequestGuard
{
    /// <summary>The routes that change something; each needs the token.</summary>
    public static IReadOnlySet<string> Actions { get; } = new HashSet<string>(StringComparer.Ordinal) { "/switchover", "/reload", "/pause", "/resume", "/promote" };

    /// <summary>The authentication scheme actions use (RFC 6750 §2.1).</summary>
    public const string Scheme = "Bearer";

    /// <summary>Whether a Host header is the listen address itself (its port may be left out when it is HTTP's 80, RFC 9110 §7.2).</summary>
    private static bool NamesListen(string? host, IPEndPoint listen) =>
        string.Equals(host, listen.ToString(), StringComparison.OrdinalIgnoreCase)
        || (listen.Port == 80 && string.Equals(host, listen.Address.ToString(), StringComparison.OrdinalIgnoreCase));

    /// <summary>Decides whether to serve <paramref name="request"/>.</summary>
    /// <param name="request">The request's method, path and headers.</param>
    /// <param name="listen">The address the endpoint listens on.</param>
    /// <param name="token">The token actions must carry; null = actions are refused (no <c>token-file</c>).</param>
    /// <param name="actionsServed">False where no action is served (a witness): action routes are then unknown
    /// routes (404), not refused.</param>
    /// <returns>Null to serve the request, else the refusal to answer with.</returns>
    public static Refusal? Check(RequestFacts request, IPEndPoint listen, Secret? token, bool actionsServed = true)
    {
        if (request.Origin is not null)
            return new Refusal(403, $"requests from web pages are refused (Origin: {request.Origin}); use redis-ha status/switchover or curl");
        // A DNS-rebinding page reaches 127.0.0.1 under its own host name; only the address itself is ours.
        if (IPAddress.IsLoopback(listen.Address) && !NamesListen(request.Host, listen))
            return new Refusal(403, $"Host {request.Host ?? "(none)"} refused: this endpoint answers only as {listen}");
        if (!actionsServed || !Actions.Contains(request.Path)) return null;
        if (request.Method != "POST")
            return new Refusal(405, $"{request.Path} is an action: POST {request.Path}");
        if (token is null)
            return new Refusal(403, "actions are off on this node: set redis-ha.status.token-file to a file holding a token " +
                                    "(openssl rand -hex 32; owner and the service's group only) and restart; redis-ha switchover --config FILE sends it");
        if (request.HasBody || request.ContentType is not null)
            return new Refusal(415, $"an action takes no body and no Content-Type (form posts are refused): POST {request.Path}?... with Authorization: Bearer TOKEN");
        var authorization = request.Authorization?.Trim();
        if (authorization is null || !authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
            return new Refusal(401, "an action needs Authorization: Bearer TOKEN (the token in the node's redis-ha.status.token-file)");
        if (!token.Matches(authorization[(Scheme.Length + 1)..].Trim()))
            return new Refusal(403, "the bearer token is not this node's (redis-ha.status.token-file)");
        return null;
    }
}
