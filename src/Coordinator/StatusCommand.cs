using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RedisHaActors.Configuration;
using RedisHaActors.Status;

namespace RedisHaActors.Coordinator;

/// <summary>
/// <c>redis-ha status</c>: reads a running node's <c>GET /status</c> and prints a summary or the
/// raw JSON. Exit codes: 0 printed, 2 bad configuration file, 3 no endpoint answered.
/// </summary>
internal static class StatusCommand
{
    /// <summary>Exit code when no endpoint answers with a status (or the file turns the endpoint off).</summary>
    public const int ExitNoAnswer = 3;

    /// <summary>The endpoint when neither <c>--endpoint</c> nor a configuration names one (the reference.conf default).</summary>
    public static readonly IPEndPoint DefaultEndpoint = new(IPAddress.Loopback, 9680);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs the command.</summary>
    /// <param name="config">Node configuration whose <c>redis-ha.status.listen</c> names the endpoint; optional.</param>
    /// <param name="endpoint">Explicit endpoint; wins over the configuration.</param>
    /// <param name="json">Print the JSON as received instead of the summary.</param>
    /// <param name="ct">Cancelled by Ctrl-C.</param>
    public static async Task<int> RunAsync(FileInfo? config, IPEndPoint? endpoint, bool json, CancellationToken ct)
    {
        if (ResolveEndpoint(config, endpoint, out var exit) is not { } resolved) return exit;
        var url = new Uri($"http://{resolved}/status");

        string body;
        try
        {
            using var http = new HttpClient { Timeout = RequestTimeout };
            using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var first = body.Split('\n', 2)[0].Trim();
                Console.Error.WriteLine($"redis-ha: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}: {first}");
                return ExitNoAnswer;
            }
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException s ? s.Message : e.Message;
            Console.Error.WriteLine($"redis-ha: no status endpoint answers at {url}: {reason} (is the node running, with redis-ha.status.listen at this address?)");
            return ExitNoAnswer;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"redis-ha: no answer from {url} within {RequestTimeout.TotalSeconds:0} s");
            return ExitNoAnswer;
        }

        if (json)
        {
            Console.Out.Write(body.EndsWith('\n') ? body : body + "\n");
            return 0;
        }
        try
        {
            Console.Out.Write(StatusText.Format(StatusJson.Deserialize(body), DateTimeOffset.UtcNow));
            return 0;
        }
        catch (JsonException e)
        {
            Console.Error.WriteLine($"redis-ha: {url} did not answer with a node status: {e.Message}");
            return ExitNoAnswer;
        }
    }

    /// <summary>
    /// The endpoint to ask: <paramref name="endpoint"/>, else the file's <c>redis-ha.status.listen</c>,
    /// else <see cref="DefaultEndpoint"/>; wildcard addresses through loopback. Null with
    /// <paramref name="exit"/> set (after one line on stderr) when the file is bad or turns it off.
    /// </summary>
    internal static IPEndPoint? ResolveEndpoint(FileInfo? config, IPEndPoint? endpoint, out int exit) =>
        ResolveEndpoint(config, endpoint, out exit, out _);

    /// <summary>As <see cref="ResolveEndpoint(FileInfo?, IPEndPoint?, out int)"/>; also gives the file's settings
    /// (null without <paramref name="config"/>), e.g. for the control token.</summary>
    internal static IPEndPoint? ResolveEndpoint(FileInfo? config, IPEndPoint? endpoint, out int exit, out HaSettings? settings)
    {
        exit = 0;
        settings = null;
        if (config is not null)
        {
            try
            {
                settings = HaSettings.Load(config.FullName);
                if (endpoint is not null) return Connectable(endpoint);
                endpoint = settings.StatusEndpoint.Listen;
                if (endpoint is null)
                {
                    Console.Error.WriteLine($"redis-ha: the status endpoint is off in {config.FullName} (redis-ha.status.listen = \"\")");
                    exit = ExitNoAnswer;
                    return null;
                }
            }
            catch (ConfigurationException e)
            {
                Console.Error.WriteLine($"redis-ha: {e.Message}");
                exit = Commands.ExitBadConfig;
                return null;
            }
        }
        return Connectable(endpoint ?? DefaultEndpoint);
    }

    /// <summary>A wildcard listen address (0.0.0.0, ::) is reached through loopback.</summary>
    internal static IPEndPoint Connectable(IPEndPoint listen) =>
        listen.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, listen.Port)
        : listen.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, listen.Port)
        : listen;

    /// <summary>Parses <c>--endpoint</c>: an IP address and a port, as in <c>redis-ha.status.listen</c>.</summary>
    internal static IPEndPoint? ParseEndpoint(string text, out string? error)
    {
        error = null;
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0) return endpoint;
        error = $"--endpoint {text}: expected an address:port like 127.0.0.1:9680";
        return null;
    }
}
