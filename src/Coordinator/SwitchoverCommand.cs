using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using RedisHaActors.Status;

namespace RedisHaActors.Coordinator;

/// <summary>
/// <c>redis-ha switchover --to NODE</c>: asks the running master (through its local endpoint,
/// <c>POST /switchover?to=NODE</c>, no body) to hand the VIP and the Redis master role to NODE
/// without losing a write. The request carries the bearer token of the node file's
/// <c>redis-ha.status.token-file</c> (<c>--config</c>). Exit codes: 0 done, 1 refused (also
/// unauthenticated) or aborted (nothing changed), 2 bad configuration file, 3 no endpoint answered.
/// </summary>
internal static class SwitchoverCommand
{
    /// <summary>Exit code when the node refused or aborted the switchover.</summary>
    public const int ExitRefused = 1;

    public static async Task<int> RunAsync(string to, FileInfo? config, IPEndPoint? endpoint, CancellationToken ct)
    {
        if (StatusCommand.ResolveEndpoint(config, endpoint, out var exit, out var settings) is not { } resolved) return exit;
        var url = new Uri($"http://{resolved}/switchover?to={Uri.EscapeDataString(to)}");
        var token = settings?.StatusEndpoint.Token;
        try
        {
            // The node bounds the wait itself (the catch-up, then the hand-over: twice sync-timeout, at
            // most 10 min each, plus seconds); this is a backstop.
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(21) };
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
                    Console.Error.WriteLine($"redis-ha: switchover {body}");
                    return ExitRefused;
                case 401 or 403:
                    var hint = token is null && config is null ? " (pass --config with the node's file: the token is in its redis-ha.status.token-file)" : "";
                    Console.Error.WriteLine($"redis-ha: switchover refused by {url.Authority} ({(int)response.StatusCode}): {body.Split('\n', 2)[0]}{hint}");
                    return ExitRefused;
                default:
                    Console.Error.WriteLine($"redis-ha: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body.Split('\n', 2)[0]}");
                    return StatusCommand.ExitNoAnswer;
            }
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException s ? s.Message : e.Message;
            Console.Error.WriteLine($"redis-ha: no node answers at {url}: {reason} (run it on the master's host, with redis-ha.status.listen at this address)");
            return StatusCommand.ExitNoAnswer;
        }
    }
}
