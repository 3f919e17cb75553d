using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using RedisHaActors.Status;

namespace RedisHaActors.Coordinator;

/// <summary>
/// Sends one action to a running node's control API (its local status endpoint, <c>POST /PATH</c>, no body) with
/// the bearer token of the node file's <c>redis-ha.status.token-file</c> (<c>--config</c>), and prints the answer:
/// <c>switchover</c>, <c>reload</c>, <c>pause</c>, <c>resume</c>, <c>promote</c>. Exit codes: 0 done, 1 refused (also unauthenticated)
/// or aborted (nothing changed) or failed (a forced promotion that did not take over in its window), 2 bad configuration file, 3 no endpoint answered.
/// </summary>
internal static class ControlCommand
{
    /// <summary>Exit code when the node refused or aborted the action.</summary>
    public const int ExitRefused = 1;

    /// <param name="action">The action's name, as printed (<c>switchover</c>, <c>reload</c>, ...).</param>
    /// <param name="pathAndQuery">E.g. <c>/reload</c> or <c>/switchover?to=n2</c>.</param>
    /// <param name="config">The node file (endpoint and token), or null.</param>
    /// <param name="endpoint">The endpoint, overriding the file's.</param>
    /// <param name="wait">Backstop on the wait for the answer (the node bounds its own work).</param>
    /// <param name="noAnswerHint">Appended when nothing answers.</param>
    /// <param name="ct">Cancels the request.</param>
    public static async Task<int> RunAsync(string action, string pathAndQuery, FileInfo? config, IPEndPoint? endpoint, TimeSpan wait,
        string noAnswerHint, CancellationToken ct)
    {
        if (StatusCommand.ResolveEndpoint(config, endpoint, out var exit, out var settings) is not { } resolved) return exit;
        var url = new Uri($"http://{resolved}{pathAndQuery}");
        var token = settings?.StatusEndpoint.Token;
        try
        {
            using var http = new HttpClient { Timeout = wait };
            // No body and no Content-Type: the endpoint refuses anything a web form could send.
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue(RequestGuard.Scheme, token.Reveal());
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim();
            switch ((int)response.StatusCode)
            {
                case 200:
                    Console.Out.WriteLine(body);
                    return 0;
                case 409:
                    Console.Error.WriteLine($"redis-ha: {action} {body}");
                    return ExitRefused;
                case 401 or 403:
                    var hint = token is null && config is null ? " (pass --config with the node's file: the token is in its redis-ha.status.token-file)" : "";
                    Console.Error.WriteLine($"redis-ha: {action} refused by {url.Authority} ({(int)response.StatusCode}): {body.Split('\n', 2)[0]}{hint}");
                    return ExitRefused;
                default:
                    Console.Error.WriteLine($"redis-ha: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body.Split('\n', 2)[0]}");
                    return StatusCommand.ExitNoAnswer;
            }
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException s ? s.Message : e.Message;
            Console.Error.WriteLine($"redis-ha: no node answers at {url}: {reason} ({noAnswerHint})");
            return StatusCommand.ExitNoAnswer;
        }
    }
}
