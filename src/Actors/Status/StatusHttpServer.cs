using System.Net;
using System.Text;

namespace RedisHaActors.Status;

/// <summary>
/// The local status endpoint on the BCL's <see cref="HttpListener"/>: <c>GET /status</c> is the
/// <see cref="NodeStatus"/> as JSON (<see cref="StatusJson"/>), <c>GET /metrics</c> the Prometheus
/// text (<see cref="StatusMetrics"/>), <c>POST /switchover?to=NODE</c>, <c>POST /reload</c>, <c>POST /pause</c>,
/// <c>POST /resume[?force]</c> and <c>POST /promote[?accept-loss]</c> the actions, anything else 404. Every request passes <see cref="RequestGuard"/> first (Origin, Host, and the bearer
/// token for actions); refused actions are logged, at most one line per <see cref="RefusalLogInterval"/>.
/// Each request asks the node afresh; when it does not answer, 503. Binds exactly the configured
/// address; the listener matches the request's Host header against it, so ask for
/// <c>http://127.0.0.1:9680/</c>, not <c>localhost:9680</c> (which gets 404).
/// </summary>
public sealed class StatusHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<CancellationToken, Task<NodeStatus>> _status;
    private readonly Action<string> _warn;
    private readonly StatusMetrics _metrics = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Func<string, CancellationToken, Task<Control.SwitchoverResult>>? _switchover;
    private readonly Configuration.Secret? _token;
    private readonly Func<string, bool, CancellationToken, Task<Control.ControlResult>>? _control;
    private readonly object _refusalLogLock = new();
    private long _lastRefusalLog = long.MinValue;
    private int _refusalsNotLogged;

    /// <summary>At most one log line per this interval for refused actions (a local user must not fill the log): 10 s.</summary>
    public static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    private StatusHttpServer(IPEndPoint endpoint, HttpListener listener, Func<CancellationToken, Task<NodeStatus>> status, Action<string> warn,
        Func<string, CancellationToken, Task<Control.SwitchoverResult>>? switchover, Configuration.Secret? token,
        Func<string, bool, CancellationToken, Task<Control.ControlResult>>? control)
    {
        _control = control;
        Endpoint = endpoint;
        _listener = listener;
        _status = status;
        _warn = warn;
        _switchover = switchover;
        _token = token;
        _accepting = AcceptAsync();
    }

    /// <summary>The address served.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Binds <paramref name="endpoint"/> and starts serving.</summary>
    /// <param name="endpoint">IPv4 address and port; 0.0.0.0 serves every IPv4 address. The BCL listener on Linux
    /// cannot parse an IPv6 prefix.</param>
    /// <param name="status">Gets a fresh status; may throw (answered as 503).</param>
    /// <param name="warn">Receives one line per unexpected request failure.</param>
    /// <param name="switchover">Runs a planned switchover to the named node (<c>POST /switchover?to=NODE</c>:
    /// 200 done, 409 refused or aborted); null = not served (404).</param>
    /// <param name="token">The bearer token actions must carry (<c>redis-ha.status.token-file</c>); null = every action
    /// is refused with 403 and a line naming the key.</param>
    /// <param name="control">Runs <c>reload</c>, <c>pause</c>, <c>resume</c> (its flag: <c>?force</c>) or <c>promote</c> (its flag:
    /// <c>?accept-loss</c>): 200 done, 409 refused or failed; null = not served (404).</param>
    /// <exception cref="HttpListenerException">The port is in use, or the address is not local or not supported.</exception>
    /// <exception cref="ArgumentException">An IPv6 address, or one the listener does not accept as a prefix.</exception>
    public static StatusHttpServer Start(IPEndPoint endpoint, Func<CancellationToken, Task<NodeStatus>> status, Action<string> warn,
        Func<string, CancellationToken, Task<Control.SwitchoverResult>>? switchover = null, Configuration.Secret? token = null,
        Func<string, bool, CancellationToken, Task<Control.ControlResult>>? control = null)
    {
        if (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new ArgumentException("only IPv4 addresses are supported");
        // The managed listener rejects 0.0.0.0 but binds "+" to it (and then accepts any Host header).
        var host = endpoint.Address.Equals(IPAddress.Any) ? "+" : endpoint.Address.ToString();
        var listener = new HttpListener { IgnoreWriteExceptions = true };
        try
        {
            listener.Prefixes.Add($"http://{host}:{endpoint.Port}/");
            listener.Start();
        }
        catch
        {
            listener.Close();
            throw;
        }
        return new StatusHttpServer(endpoint, listener, status, warn, switchover, token, control);
    }

    /// <summary>Stops listening; requests in progress are aborted.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        // The token stays undisposed: requests still finishing read it.
        _accepting.Wait(TimeSpan.FromSeconds(2));
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException e)
            {
                if (!_listener.IsListening) return;
                _warn($"status endpoint {Endpoint}: accept failed: {e.Message}");
                continue;
            }
            // Serve concurrently: a scrape that waits for a slow child must not hold up /status.
            _ = ServeAsync(context);
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            var path = request.Url?.AbsolutePath ?? "";
            var facts = new RequestFacts(request.HttpMethod, path, request.Headers["Host"], request.Headers["Origin"], request.Headers["Content-Type"],
                request.HasEntityBody, request.Headers["Authorization"]);
            if (RequestGuard.Check(facts, Endpoint, _token, actionsServed: _switchover is not null) is { } refusal)
            {
                if (RequestGuard.Actions.Contains(path)) LogRefusal(request, refusal);
                if (refusal.StatusCode == 401) response.AddHeader("WWW-Authenticate", $"{RequestGuard.Scheme} realm=\"redis-ha\"");
                await WriteTextAsync(response, refusal.StatusCode, refusal.Message + "\n").ConfigureAwait(false);
                return;
            }
            if (request.HttpMethod == "POST" && path == "/switchover" && _switchover is not null)
            {
                await ServeSwitchoverAsync(context).ConfigureAwait(false);
                return;
            }
            if (request.HttpMethod == "POST" && path is "/reload" or "/pause" or "/resume" or "/promote" && _control is not null)
            {
                await ServeControlAsync(context, path[1..], path == "/promote" ? "accept-loss" : "force").ConfigureAwait(false);
                return;
            }
            var route = context.Request.HttpMethod == "GET" ? context.Request.Url?.AbsolutePath : null;
            if (route is not ("/status" or "/metrics"))
            {
                await WriteTextAsync(response, 404, "not found: GET /status (JSON) or GET /metrics (Prometheus)\n").ConfigureAwait(false);
                return;
            }
            NodeStatus status;
            try
            {
                status = await _status(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                await WriteTextAsync(response, 503, $"the node did not answer: {e.Message}\n").ConfigureAwait(false);
                return;
            }
            if (route == "/status")
            {
                response.ContentType = "application/json; charset=utf-8";
                var body = StatusJson.Serialize(status);
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                _metrics.Update(status);
                response.ContentType = StatusMetrics.ContentType;
                await _metrics.WriteAsync(response.OutputStream, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            _warn($"status endpoint {Endpoint}: {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath} failed: {e.Message}");
        }
        catch (Exception)
        {
            // Stopping: the listener aborts the connection anyway.
        }
        finally
        {
            try { response.Close(); } catch (Exception) { /* the client or the listener is gone */ }
        }
    }

    private async Task ServeSwitchoverAsync(HttpListenerContext context)
    {
        var to = context.Request.QueryString["to"];
        if (string.IsNullOrWhiteSpace(to))
        {
            await WriteTextAsync(context.Response, 400, "POST /switchover?to=NODE: the target node's name is missing\n").ConfigureAwait(false);
            return;
        }
        Control.SwitchoverResult result;
        try
        {
            result = await _switchover!(to, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            await WriteTextAsync(context.Response, 503, $"the node did not answer: {e.Message}\n").ConfigureAwait(false);
            return;
        }
        await WriteTextAsync(context.Response, result.Done ? 200 : 409, result.Message + "\n").ConfigureAwait(false);
    }

    /// <param name="context">The request.</param>
    /// <param name="action">The action's name (the path without its slash).</param>
    /// <param name="flag">The action's one boolean query flag (<c>?force</c>, <c>?accept-loss</c>).</param>
    private async Task ServeControlAsync(HttpListenerContext context, string action, string flag)
    {
        var set = context.Request.QueryString.AllKeys.Contains(flag) || context.Request.QueryString.GetValues(null)?.Contains(flag) == true;
        Control.ControlResult result;
        try
        {
            result = await _control!(action, set, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            await WriteTextAsync(context.Response, 503, $"the node did not answer: {e.Message}\n").ConfigureAwait(false);
            return;
        }
        await WriteTextAsync(context.Response, result.Done ? 200 : 409, result.Message + "\n").ConfigureAwait(false);
    }

    private void LogRefusal(HttpListenerRequest request, Refusal refusal)
    {
        int notLogged;
        lock (_refusalLogLock)
        {
            var now = Environment.TickCount64;
            if (_lastRefusalLog != long.MinValue && now - _lastRefusalLog < (long)RefusalLogInterval.TotalMilliseconds)
            {
                _refusalsNotLogged++;
                return;
            }
            _lastRefusalLog = now;
            notLogged = _refusalsNotLogged;
            _refusalsNotLogged = 0;
        }
        var more = notLogged > 0 ? $" ({notLogged} more refused since the last such line)" : "";
        _warn($"status endpoint {Endpoint}: {request.HttpMethod} {request.Url?.AbsolutePath} from {request.RemoteEndPoint} refused ({refusal.StatusCode}): {refusal.Message}{more}");
    }

    private static async Task WriteTextAsync(HttpListenerResponse response, int statusCode, string text)
    {
        response.StatusCode = statusCode;
        response.ContentType = "text/plain; charset=utf-8";
        var body = Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }
}
