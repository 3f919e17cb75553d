using System.Net;
using RedisHaActors.Primitives;
using RedisHaActors.Configuration;
using StackExchange.Redis;

namespace RedisHaActors.Redis;

/// <summary>
/// <see cref="IRedisNode"/> on StackExchange.Redis. One multiplexer per server, admin commands
/// allowed, fail-fast while disconnected (no queued commands replayed later against a server
/// whose role has changed), every call bounded by its timeout. Only raw commands are used; the
/// library's MakePrimary / ReplicaOf helpers write keys and re-point other servers.
/// </summary>
public sealed class StackExchangeRedisNode : IRedisNode
{
    private readonly ConfigurationOptions _options;
    private readonly EndPoint _endPoint;
    private readonly string _user;
    private readonly string _password;
    private ConnectionMultiplexer? _muxer;
    private volatile ConnectionFailedEventArgs? _lastFailure;
    private readonly SemaphoreSlim _connectLock = new(1, 1);

    /// <summary>Creates the node; connects lazily on first use.</summary>
    /// <param name="host">Host name or address.</param>
    /// <param name="port">TCP port 1..65535.</param>
    /// <param name="user">ACL user or empty.</param>
    /// <param name="password">AUTH password or empty.</param>
    /// <param name="timeout">Connect and command timeout (ms precision).</param>
    /// <param name="tls">TLS settings; null or disabled = plain TCP.</param>
    public StackExchangeRedisNode(string host, int port, string user, string password, TimeSpan timeout, RedisTlsSettings? tls = null)
    {
        Endpoint = $"{host}:{port}";
        _user = user;
        _password = password;
        _endPoint = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        var ms = (int)Math.Max(50, timeout.TotalMilliseconds);
        _options = new ConfigurationOptions
        {
            EndPoints = { _endPoint },
            AllowAdmin = true,
            AbortOnConnectFail = false,
            ConnectTimeout = ms,
            SyncTimeout = ms,
            AsyncTimeout = ms,
            ConnectRetry = 1,
            KeepAlive = 1,
            // The library notices timed-out commands and reconnects a dropped connection only on its
            // heartbeat (1 s by default): a Redis waking from a hang would stay unreachable that long.
            HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(100, ms))),
            ClientName = "redis-ha",
            BacklogPolicy = BacklogPolicy.FailFast,
            User = string.IsNullOrEmpty(user) ? null : user,
            Password = string.IsNullOrEmpty(password) ? null : password,
            // Never let the library pick a primary or follow topology on our behalf (nor ask for CLUSTER
            // NODES/SLOTS, which a least-privilege user may not run, or SENTINEL, which a Redis does not know).
            TieBreaker = "",
            ConfigurationChannel = "",
            CommandMap = ConnectCheckMap(ping: false),
            // CLIENT SETINFO is Redis 7.2+; a 6.2 ACL user without it logs a denial on every connect.
            SetClientLibrary = false,
        };
        if (tls is { Enabled: true }) UseTls(_options, tls);
    }

    private static void UseTls(ConfigurationOptions options, RedisTlsSettings tls)
    {
        options.Ssl = true;
        if (tls.ServerName.Length > 0) options.SslHost = tls.ServerName;
        if (tls.CaFile.Length > 0) options.TrustIssuer(tls.CaFile);
        if (tls.CertFile.Length > 0) options.SetUserPemCertificate(tls.CertFile, tls.KeyFile);
        if (!tls.Verify) options.CertificateValidation += static (_, _, _, _) => true;
    }

    /// <inheritdoc />
    public string Endpoint { get; }

    private async Task<IServer> ServerAsync()
    {
        var muxer = _muxer;
        if (muxer is null)
        {
            await _connectLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (_muxer is null)
                {
                    var created = await ConnectionMultiplexer.ConnectAsync(_options).ConfigureAwait(false);
                    // The library reports a failed command as "no connection"; the reason (say a
                    // rejected AUTH) only arrives through this event.
                    created.ConnectionFailed += (_, e) => _lastFailure = e;
                    created.ConnectionRestored += (_, _) => _lastFailure = null;
                    _muxer = created;
                }
                muxer = _muxer;
            }
            finally
            {
                _connectLock.Release();
            }
        }
        return muxer.GetServer(_endPoint);
    }

    // The commands the library may not send; ECHO too when its connect check is to be PING (it takes ECHO when it may).
    private static CommandMap ConnectCheckMap(bool ping) =>
        CommandMap.Create(new HashSet<string>(["SUBSCRIBE", "PSUBSCRIBE", "CLUSTER", "SENTINEL", .. (ping ? ["ECHO"] : Array.Empty<string>())]),
            available: false);

    /// <summary>
    /// The library drops a new connection whose connect check (ECHO, else PING) gets an error, and each is refused in
    /// some state of a healthy Redis: ECHO by a Redis 6.2 replica without a link under replica-serve-stale-data no
    /// (MASTERDOWN; a fenced Redis is one), PING by a Redis 7 one (MASTERDOWN) and by a master that cannot persist
    /// (MISCONF). A connect refused so is made again with the other check. Returns whether it switched.
    /// </summary>
    /// <param name="failure">Why the probe failed (the library names the refused check in it).</param>
    private async Task<bool> SwitchConnectCheckAsync(Exception failure)
    {
        var reason = failure + " " + _lastFailure?.Exception;
        if (!reason.Contains("MASTERDOWN", StringComparison.Ordinal) && !reason.Contains("MISCONF", StringComparison.Ordinal)) return false;
        await _connectLock.WaitAsync().ConfigureAwait(false);
        ConnectionMultiplexer? refused;
        try
        {
            _pingConnectCheck = !_pingConnectCheck;
            _options.CommandMap = ConnectCheckMap(_pingConnectCheck);
            (refused, _muxer, _lastFailure) = (_muxer, null, null);
        }
        finally
        {
            _connectLock.Release();
        }
        if (refused is not null) await refused.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    private bool _pingConnectCheck;

    /// <inheritdoc />
    public async Task<RedisProbe> ProbeAsync(TimeSpan timeout)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                return await ProbeCoreAsync().WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return await WithRefusal(RedisProbe.Failed($"no answer within {timeout.TotalMilliseconds:0} ms")).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (attempt == 0 && await SwitchConnectCheckAsync(e).ConfigureAwait(false)) continue;
                return await WithRefusal(RedisProbe.Failed(Describe(e, _lastFailure))).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Bound on the refusal check after a failed probe: a refusal (RST) comes back within a round trip; anything
    /// slower is taken as "not refused", which proves nothing, the safe reading.</summary>
    private static readonly TimeSpan RefusalCheck = TimeSpan.FromMilliseconds(100);

    /// <summary>Marks a failed probe whose port refuses connections: the process is gone, not stalled.</summary>
    private async Task<RedisProbe> WithRefusal(RedisProbe failed)
    {
        var (host, port) = _endPoint switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => ("", 0),
        };
        return port > 0 && await TcpRefusal.IsRefusedAsync(host, port, RefusalCheck, CancellationToken.None).ConfigureAwait(false)
            ? failed with { ConnectionRefused = true }
            : failed;
    }

    private volatile bool _singleSectionInfo;

    /// <summary>Redis before 7.0 answered a multi-section INFO with a syntax error: one INFO per section
    /// from then on. Settable for tests of that path on a Redis 7.</summary>
    internal bool SingleSectionInfo { get => _singleSectionInfo; set => _singleSectionInfo = value; }

    private async Task<RedisProbe> ProbeCoreAsync()
    {
        var server = await ServerAsync().ConfigureAwait(false);
        // A first attempt may still be connecting: wait for its outcome (the caller bounds the
        // wait) so the check reports why it failed, not merely that nothing is connected yet.
        for (var i = 0; i < 1000 && !server.IsConnected && _lastFailure is null && _muxer is { IsConnecting: true }; i++)
            await Task.Delay(10).ConfigureAwait(false);
        // Both commands go out together (one round trip, one wake-up): the check runs several
        // times a second for as long as the node lives.
        var ping = server.ExecuteAsync("PING");
        // Redis 7 takes several sections at once: the keyspace tells an empty Redis from a full one,
        // and run_id (server) a restarted one.
        // persistence and memory tell whether it can take writes (WritePath).
        var info = _singleSectionInfo ? SingleSectionInfoAsync(server) : server.ExecuteAsync("INFO", InfoSections);
        string? pingError = null;
        try
        {
            var pong = await ping.ConfigureAwait(false);
            if (pong.ToString() != "PONG")
            {
                Observe(info);
                return RedisProbe.Failed($"PING answered {pong}");
            }
        }
        catch (RedisServerException e) when (e.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal))
        {
            // A replica that lost its master is alive and still holds data: it stays eligible.
        }
        catch (RedisServerException e) when (e.Message.StartsWith("MISCONF", StringComparison.Ordinal))
        {
            // Alive but unable to persist: Redis answers PING so to say it refuses writes. Its facts are read
            // on; WritePath turns this into the check's failure.
            pingError = e.Message.Split('\n', 2)[0].Trim();
        }
        catch
        {
            Observe(info);
            throw;
        }
        RedisResult text;
        try
        {
            text = await info.ConfigureAwait(false);
        }
        catch (RedisServerException e) when (!_singleSectionInfo && e.Message.Contains("syntax", StringComparison.OrdinalIgnoreCase))
        {
            // Redis before 7.0 (6.2): one section per INFO.
            _singleSectionInfo = true;
            text = await SingleSectionInfoAsync(server).ConfigureAwait(false);
        }
        var body = text.ToString() ?? "";
        return new RedisProbe(true, ReplicationFacts.Parse(body), "", WritePath.Decide(body, pingError));
    }

    private static readonly object[] InfoSections = ["replication", "keyspace", "server", .. WritePath.InfoSections];

    // The sections as one INFO each, sent together (still one round trip): on 6.2 the keyspace and
    // run_id are needed as much as on 7 (an empty or restarted Redis is told apart by them).
    private static async Task<RedisResult> SingleSectionInfoAsync(IServer server)
    {
        var parts = await Task.WhenAll(InfoSections.Select(section => server.ExecuteAsync("INFO", section))).ConfigureAwait(false);
        return RedisResult.Create((RedisValue)string.Join("\r\n", parts.Select(p => p.ToString())));
    }

    // The second command of a failed probe fails too; nobody awaits it, so mark its error seen.
    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RedisPermissions.Refusal>> CheckPermissionsAsync(TimeSpan timeout)
    {
        var refused = new List<RedisPermissions.Refusal>();
        foreach (var need in RedisPermissions.Checked)
        {
            var form = HarmlessForm(need.Command);
            try
            {
                var server = await ServerAsync().WaitAsync(timeout).ConfigureAwait(false);
                await server.ExecuteAsync((string)form[0], form[1..]).WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (RedisPermissions.IsRefusal(e.Message))
            {
                refused.Add(new RedisPermissions.Refusal(need.Command, e.Message.Split('\n', 2)[0].Trim(), RedisPermissions.IsRenamed(e.Message)));
            }
            catch (RedisServerException)
            {
                // The harmless form's expected error: past the ACL, so the command is allowed.
            }
            catch (TimeoutException)
            {
                throw new RedisCommandException($"permission check ({need.Command}) on {Endpoint}: no answer within {timeout.TotalMilliseconds:0} ms");
            }
            catch (Exception e) when (e is not RedisCommandException)
            {
                throw new RedisCommandException($"permission check ({need.Command}) on {Endpoint}: {Describe(e, _lastFailure)}");
            }
        }
        return refused;
    }

    // Forms that pass the command-table, arity and ACL checks of Redis 6.2 and 7.x, then fail on an
    // argument before changing anything.
    private static object[] HarmlessForm(string command) => command switch
    {
        "REPLICAOF" => ["REPLICAOF", "127.0.0.1", "not-a-port"],
        "CONFIG SET" => ["CONFIG", "SET", "redis-ha-permission-check", "0"],
        "CONFIG GET" => ["CONFIG", "GET", "redis-ha-permission-check"],
        "CLIENT PAUSE" => ["CLIENT", "PAUSE", "not-a-timeout", "WRITE"],
        "CLIENT KILL" => ["CLIENT", "KILL", "ID", "0"],
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "no harmless form"),
    };

    /// <inheritdoc />
    public async Task<bool?> ReplicaReadOnlyAsync(TimeSpan timeout)
    {
        try
        {
            var reply = await CommandAsync(timeout, "CONFIG", "GET", "replica-read-only").ConfigureAwait(false);
            return reply.Length >= 2 ? !string.Equals(reply[1].ToString(), "no", StringComparison.OrdinalIgnoreCase) : null;
        }
        catch (RedisCommandException e) when (e.Refused)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<OperatorMinReplicas?> MinReplicasAsync(TimeSpan timeout)
    {
        try
        {
            var count = await CommandAsync(timeout, "CONFIG", "GET", "min-replicas-to-write").ConfigureAwait(false);
            var lag = await CommandAsync(timeout, "CONFIG", "GET", "min-replicas-max-lag").ConfigureAwait(false);
            return count.Length >= 2 && lag.Length >= 2
                   && int.TryParse(count[1].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var c)
                   && int.TryParse(lag[1].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var l)
                ? new OperatorMinReplicas(c, l)
                : null;
        }
        catch (RedisCommandException e) when (e.Refused)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public Task ReplicaOfNoOneAsync(TimeSpan timeout) => CommandAsync(timeout, "REPLICAOF", "NO", "ONE");

    /// <inheritdoc />
    public async Task<string> ReplicaOfAsync(string host, int port, TimeSpan timeout)
    {
        // A replica authenticates to its master with masterauth/masteruser (Redis replication):
        // without them a password-protected set would accept REPLICAOF and never sync. They get the
        // coordinator's credentials (again on each REPLICAOF: a restarted Redis forgot them, a password
        // may have changed) unless redis.conf names another masteruser: a dedicated replication user,
        // kept as the operator set it.
        var note = "";
        if (_password.Length > 0 && !_masterAuthRefused)
        {
            try
            {
                var current = await CommandAsync(timeout, "CONFIG", "GET", "masteruser").ConfigureAwait(false);
                var masterUser = current.Length >= 2 ? current[1].ToString() ?? "" : "";
                if (masterUser.Length == 0 || masterUser == _user)
                {
                    await CommandAsync(timeout, "CONFIG", "SET", "masterauth", _password).ConfigureAwait(false);
                    if (_user.Length > 0) await CommandAsync(timeout, "CONFIG", "SET", "masteruser", _user).ConfigureAwait(false);
                }
            }
            catch (RedisCommandException e) when (e.Refused)
            {
                // An old master must still be re-pointable (else it takes writes again when its pause
                // ends): REPLICAOF goes out anyway, and masterauth is the operator's (said once).
                _masterAuthRefused = true;
                note = $"{e.Message}; REPLICAOF sent without it: set masterauth (and masteruser) in {Endpoint}'s redis.conf or it cannot sync from a password-protected master";
            }
        }
        await CommandAsync(timeout, "REPLICAOF", host, port.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        return note;
    }

    private volatile bool _masterAuthRefused;

    /// <inheritdoc />
    public async Task SetMinReplicasAsync(int count, int maxLagSeconds, TimeSpan timeout)
    {
        // One parameter per CONFIG SET: the multi-parameter form is Redis 7.0+ (6.2 answers a syntax
        // error). The lag goes first so the count never takes effect with a stale lag.
        await CommandAsync(timeout, "CONFIG", "SET", "min-replicas-max-lag", maxLagSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureAwait(false);
        await CommandAsync(timeout, "CONFIG", "SET", "min-replicas-to-write", count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task PauseWritesAsync(TimeSpan duration, TimeSpan timeout) =>
        CommandAsync(timeout, "CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "WRITE");

    /// <inheritdoc />
    public Task ResumeWritesAsync(TimeSpan timeout) => CommandAsync(timeout, "CLIENT", "UNPAUSE");

    /// <inheritdoc />
    public async Task UnpauseAndDisconnectClientsAsync(TimeSpan timeout)
    {
        await CommandAsync(timeout, "CLIENT", "UNPAUSE").ConfigureAwait(false);
        await CommandAsync(timeout, "CLIENT", "KILL", "TYPE", "normal").ConfigureAwait(false);
    }

    private async Task<RedisResult> CommandAsync(TimeSpan timeout, string command, params object[] args)
    {
        try
        {
            var server = await ServerAsync().WaitAsync(timeout).ConfigureAwait(false);
            return await server.ExecuteAsync(command, args).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RedisCommandException($"{Shown(command, args)} on {Endpoint}: no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is not RedisCommandException)
        {
            var reason = Describe(e, _lastFailure);
            // Redis echoes the arguments of a rejected command; the password must not reach a log.
            if (_password.Length > 0) reason = reason.Replace(_password, "***", StringComparison.Ordinal);
            var refused = e is RedisServerException && RedisPermissions.IsRefusal(reason);
            if (refused) reason = RedisPermissions.Explain(reason, command, args.Length > 0 ? args[0].ToString() ?? "" : "", _user);
            throw new RedisCommandException($"{Shown(command, args)} on {Endpoint}: {reason}", refused);
        }
    }

    // CONFIG SET masterauth carries the password: name the setting, never its value.
    private static string Shown(string command, object[] args) =>
        command == "CONFIG" ? $"CONFIG {string.Join(' ', args.Take(2))}" : $"{command} {string.Join(' ', args)}";

    private static string Describe(Exception e, ConnectionFailedEventArgs? lastFailure)
    {
        if (lastFailure?.FailureType == ConnectionFailureType.AuthenticationFailure)
            return "authentication failed (check redis-ha.redis.user/password)";
        // The library reports a rejected AUTH as a failed connect; the server's reply is in the text.
        var full = e + " " + lastFailure?.Exception;
        if (full.Contains("WRONGPASS", StringComparison.Ordinal) || full.Contains("NOAUTH", StringComparison.Ordinal) ||
            full.Contains("AuthenticationFailure", StringComparison.Ordinal) || full.Contains("invalid password", StringComparison.OrdinalIgnoreCase))
            return "authentication failed (check redis-ha.redis.user/password)";
        var message = e is RedisConnectionException rce
            ? rce.FailureType switch
            {
                ConnectionFailureType.AuthenticationFailure => "authentication failed (check redis-ha.redis.user/password)",
                ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => "connection refused or unreachable",
                _ => e.Message,
            }
            : e.Message;
        if (message.Contains("NOAUTH", StringComparison.Ordinal) || message.Contains("WRONGPASS", StringComparison.Ordinal))
            message = "authentication failed (check redis-ha.redis.user/password)";
        return message.Split('\n', 2)[0].Trim();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_muxer is { } m) await m.DisposeAsync().ConfigureAwait(false);
        _connectLock.Dispose();
    }
}

/// <summary>Creates <see cref="StackExchangeRedisNode"/>s with this node's credentials.</summary>
/// <param name="user">ACL user or empty.</param>
/// <param name="password">Password or empty.</param>
/// <param name="timeout">Connect and command timeout.</param>
/// <param name="tls">TLS settings; null or disabled = plain TCP.</param>
public sealed class StackExchangeRedisNodeFactory(string user, string password, TimeSpan timeout, RedisTlsSettings? tls = null) : IRedisNodeFactory
{
    /// <inheritdoc />
    public IRedisNode Create(string host, int port) => new StackExchangeRedisNode(host, port, user, password, timeout, tls);
}
