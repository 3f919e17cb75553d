using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RedisHaActors.Tests.Redis;

/// <summary>
/// A RESP2 server on 127.0.0.1 that answers as a Redis 6.2 replica whose link is down under
/// <c>replica-serve-stale-data no</c> does: ECHO (the client library's connect check) refused with MASTERDOWN, PING
/// answered, INFO with several sections a syntax error (6.2 takes one). CI has no Redis 6.2 (Debian 12 ships 7.0); the
/// real one is covered by bench/redis-versions.sh. Each command name is recorded.
/// </summary>
public sealed class Redis62StaleReplica : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public Redis62StaleReplica()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>The port it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every command received, upper-cased name first ("INFO replication").</summary>
    public ConcurrentQueue<string> Commands { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        try
        {
            // Bounded: a test's client sends a handful of commands per connection.
            for (var n = 0; n < 10_000 && !_stop.IsCancellationRequested; n++)
            {
                var args = await ReadCommandAsync(reader);
                if (args is null) return;
                Commands.Enqueue(string.Join(' ', args.Select((a, i) => i == 0 ? a.ToUpperInvariant() : a)));
                var reply = Reply(args);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    private static string Reply(string[] args) => args[0].ToUpperInvariant() switch
    {
        "PING" => "+PONG\r\n",
        "ECHO" => "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n",
        "INFO" when args.Length > 2 => "-ERR syntax error\r\n",
        "INFO" => Bulk(Section(args.Length > 1 ? args[1].ToLowerInvariant() : "")),
        "CONFIG" => "*0\r\n",
        "CLIENT" when args.Length > 1 && args[1].Equals("ID", StringComparison.OrdinalIgnoreCase) => ":7\r\n",
        "CLIENT" => "+OK\r\n",
        "GET" => "$-1\r\n",
        _ => $"-ERR unknown command '{args[0]}'\r\n",
    };

    private static string Section(string name) => name switch
    {
        "replication" => "# Replication\r\nrole:slave\r\nmaster_host:192.0.2.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\n" +
                         "master_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:1234\r\nmaster_link_down_since_seconds:12\r\n" +
                         "slave_priority:100\r\nslave_read_only:1\r\nconnected_slaves:0\r\nmaster_replid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" +
                         "master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:1234\r\nsecond_repl_offset:-1\r\n",
        "keyspace" => "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n",
        "server" => "# Server\r\nredis_version:6.2.16\r\nrun_id:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n",
        "persistence" => "# Persistence\r\nloading:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\naof_last_write_status:ok\r\n",
        "memory" => "# Memory\r\nused_memory:1000000\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n",
        _ => "",
    };

    private static string Bulk(string s) => $"${Encoding.ASCII.GetByteCount(s)}\r\n{s}\r\n";

    /// <summary>One RESP array of bulk strings (what clients send), or null at the end of the stream.</summary>
    private static async Task<string[]?> ReadCommandAsync(StreamReader reader)
    {
        var head = await reader.ReadLineAsync();
        if (head is null || head.Length < 2 || head[0] != '*') return null;
        var count = int.Parse(head.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        if (count is < 1 or > 64) return null;
        var args = new string[count];
        for (var i = 0; i < count; i++)
        {
            var len = await reader.ReadLineAsync();
            var value = await reader.ReadLineAsync();
            if (len is null || value is null) return null;
            args[i] = value;
        }
        return args;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
