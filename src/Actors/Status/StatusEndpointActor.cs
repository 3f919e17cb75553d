using System.Net;
using Akka.Actor;
using Akka.Event;

namespace RedisHaActors.Status;

/// <summary>
/// Owns the <see cref="StatusHttpServer"/> so the endpoint starts and stops with the node. The
/// server asks <c>node</c> for a <see cref="NodeStatus"/> on every request. An address that
/// cannot be bound (port in use, address not on this host) is logged once and the node runs
/// on without the endpoint: status is a convenience, never a reason to stop failover.
/// </summary>
public sealed class StatusEndpointActor : ReceiveActor, IWithTimers
{
    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Longest wait for the node's answer per request; the node itself waits about 1 s per child.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Longest wait for a reload, pause or resume (a pause waits for a majority of the voters to store it); a forced
    /// promotion waits for its own bound (<see cref="StatusSettingsChanged.PromoteTimeout"/>).</summary>
    public static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(10);

    private IPEndPoint _listen;
    private readonly IActorRef _node;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private StatusHttpServer? _server;
    private TimeSpan? _switchoverTimeout;
    private Configuration.Secret? _token;
    // Read by the server's request threads: the switchover's [0] and forced promotion's [1] waits follow a reloaded
    // sync-timeout without a re-bind.
    private readonly long[] _waitTicks = new long[2];

    /// <summary>How long after a reload the endpoint re-binds with a new listen or token: the reload's own answer
    /// (sent on the connection the re-bind closes) gets out first.</summary>
    public static readonly TimeSpan RebindDelay = TimeSpan.FromSeconds(1);

    private sealed record Rebind(StatusSettingsChanged Settings);

    /// <summary>Creates the actor; the listener is bound in <see cref="PreStart"/>.</summary>
    /// <param name="listen">Address and port to serve on (<c>redis-ha.status.listen</c>).</param>
    /// <param name="node">Answers <see cref="GetNodeStatus"/> (and <see cref="Control.Switchover"/> on a data node).</param>
    /// <param name="switchoverTimeout">Longest wait for a switchover's outcome; null = <c>POST /switchover</c> is not served (witness).</param>
    /// <param name="token">The bearer token actions need (<c>redis-ha.status.token-file</c>); null = actions are refused.</param>
    /// <param name="promoteTimeout">Longest wait for a forced promotion's outcome (<c>POST /promote</c>); null = <see cref="ControlTimeout"/>.</param>
    public StatusEndpointActor(IPEndPoint listen, IActorRef node, TimeSpan? switchoverTimeout, Configuration.Secret? token, TimeSpan? promoteTimeout)
    {
        _listen = listen;
        _node = node;
        _switchoverTimeout = switchoverTimeout;
        _token = token;
        _waitTicks[0] = switchoverTimeout?.Ticks ?? 0;
        _waitTicks[1] = (promoteTimeout ?? ControlTimeout).Ticks;
        Receive<StatusSettingsChanged>(m =>
        {
            Volatile.Write(ref _waitTicks[0], m.SwitchoverTimeout.Ticks);
            Volatile.Write(ref _waitTicks[1], (m.PromoteTimeout ?? ControlTimeout).Ticks);
            if (m.Listen.Equals(_listen) && m.Token?.Reveal() == _token?.Reveal()) return;
            Timers.StartSingleTimer("rebind", new Rebind(m), RebindDelay);
        });
        Receive<Rebind>(m =>
        {
            // A reload: served again at the new address or with the new token (a listen that cannot be bound is logged).
            _server?.Dispose();
            _server = null;
            (_listen, _token) = (m.Settings.Listen, m.Settings.Token);
            Bind();
        });
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(IPEndPoint listen, IActorRef node, TimeSpan? switchoverTimeout = null, Configuration.Secret? token = null,
        TimeSpan? promoteTimeout = null) =>
        Akka.Actor.Props.Create<StatusEndpointActor>(listen, node, switchoverTimeout, token, promoteTimeout);

    /// <inheritdoc />
    protected override void PreStart() => Bind();

    private void Bind()
    {
        var node = _node;
        var log = _log;
        try
        {
            var switchoverTimeout = _switchoverTimeout;
            var ticks = _waitTicks;
            _server = StatusHttpServer.Start(_listen,
                ct => node.Ask<NodeStatus>(GetNodeStatus.Instance, AskTimeout, ct),
                line => log.Warning(line),
                switchoverTimeout is not null
                    ? (to, ct) => node.Ask<Control.SwitchoverResult>(new Control.Switchover(to), TimeSpan.FromTicks(Volatile.Read(ref ticks[0])), ct)
                    : null,
                _token,
                switchoverTimeout is null ? null : (action, flag, ct) => node.Ask<Control.ControlResult>(action switch
                {
                    "reload" => Control.Reload.Instance,
                    "pause" => new Control.SetMaintenance(true),
                    "promote" => new Control.ForcePromotion(flag),
                    _ => new Control.SetMaintenance(false, flag),
                }, action == "promote" ? TimeSpan.FromTicks(Volatile.Read(ref ticks[1])) : ControlTimeout, ct));
            var actions = _switchoverTimeout is null ? ""
                : _token is null ? "; POST /switchover refused: no redis-ha.status.token-file"
                : "; POST /switchover?to=NODE, /reload, /pause, /resume, /promote with the bearer token";
            _log.Info("status endpoint on http://{0}/ (GET /status, GET /metrics{1})", _listen, actions);
        }
        catch (Exception e) when (e is HttpListenerException or ArgumentException)
        {
            _log.Warning("status endpoint disabled: cannot listen on {0}: {1} (set redis-ha.status.listen to a free local address:port, or \"\" to turn it off)",
                _listen, e.Message);
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => _server?.Dispose();
}

/// <summary>Reloaded <c>redis-ha.status</c> keys for the endpoint: it re-binds with them.</summary>
/// <param name="Listen">The address to serve on.</param>
/// <param name="Token">The bearer token actions need; null = actions are refused.</param>
/// <param name="SwitchoverTimeout">Longest wait for a switchover's outcome (it follows sync-timeout).</param>
/// <param name="PromoteTimeout">Longest wait for a forced promotion's outcome (it follows sync-timeout); null = <see cref="StatusEndpointActor.ControlTimeout"/>.</param>
public sealed record StatusSettingsChanged(IPEndPoint Listen, Configuration.Secret? Token, TimeSpan SwitchoverTimeout, TimeSpan? PromoteTimeout = null);
