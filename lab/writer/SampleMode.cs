using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace LabWriter;

/// <summary>
/// Writability sampler for split-brain tests: runs in a data node's namespace and tries
/// <c>SET prefix:n unix-ms</c> on that node's own Redis every period, each attempt bounded by short
/// connect/reply timeouts, and prints one line per attempt, flushed at once:
/// <c>UNIX_MS OK REPLY_UNIX_MS</c> or <c>UNIX_MS ERR REASON</c> (REASON is one word: the error reply's code such as
/// READONLY or NOREPLICAS, or timeout, connect-timeout, refused, io, protocol, reply).
/// UNIX_MS is the wall-clock time the attempt started (the write, if accepted, happened after it), so
/// two samplers on one host line up. Stops after --duration-ms, on SIGTERM/SIGINT, or (with
/// --stop-on-stdin-eof) when stdin closes, which makes a sampler die with the process that started it.
/// A reply that comes after the reply timeout is not seen (the connection is dropped): such a write may
/// have been applied although the line says ERR timeout, so keep the reply timeout below the period
/// but not so short that a loaded host makes it fire.
/// </summary>
internal static class SampleMode
{
    internal sealed record Settings(
        string Host, int Port, int PeriodMs, int DurationMs, string Prefix, int ConnectTimeoutMs, int ReplyTimeoutMs,
        bool StopOnStdinEof)
    {
        public static Settings From(Options o)
        {
            var s = new Settings(
                o.Str("--host") ?? "127.0.0.1",
                o.Int("--port", 6379, 1, 65535),
                o.Int("--period-ms", Analysis.Sample.DefaultPeriodMs, 1, 60_000),
                o.Int("--duration-ms", 3_600_000, 1, 24 * 3600 * 1000),
                o.Str("--prefix") ?? "sample",
                o.Int("--connect-timeout-ms", Analysis.Sample.DefaultReplyTimeoutMs, 1, 60_000),
                o.Int("--reply-timeout-ms", Analysis.Sample.DefaultReplyTimeoutMs, 1, 60_000),
                o.Flag("--stop-on-stdin-eof"));
            o.RejectUnknown();
            return s;
        }
    }

    public static async Task<int> RunAsync(Settings s)
    {
        var endpoint = await Cli.ResolveAsync(s.Host, s.Port).ConfigureAwait(false);
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true; // we exit ourselves, after the last line
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        if (s.StopOnStdinEof)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    using var stdin = Console.OpenStandardInput();
                    var buf = new byte[256];
                    while (stdin.Read(buf, 0, buf.Length) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                }
                stop.Cancel();
            });
        }

        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        RespConnection? conn = null;
        long n = 0;
        var sw = Stopwatch.StartNew();
        double nextDue = 0;
        try
        {
            while (!stop.IsCancellationRequested && sw.ElapsedMilliseconds < s.DurationMs)
            {
                n++;
                var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var (reason, c) = await AttemptAsync(conn, endpoint, s, n, startMs).ConfigureAwait(false);
                conn = c;
                stdout.Write(startMs.ToString(CultureInfo.InvariantCulture));
                // An OK also carries when its reply came: the write landed between the two.
                stdout.Write(reason is null
                    ? " OK " + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "\n"
                    : " ERR " + reason + "\n");
                stdout.Flush();

                // Fixed cadence on the period grid; after a slow attempt go again at once, never burst.
                nextDue += s.PeriodMs;
                var wait = nextDue - sw.Elapsed.TotalMilliseconds;
                if (wait <= 0)
                {
                    nextDue = sw.Elapsed.TotalMilliseconds;
                    continue;
                }
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // stdout closed (the reader went away): nothing left to report to.
            return 0;
        }
        finally
        {
            conn?.Dispose();
        }
        return 0;
    }

    /// <summary>null reason = OK. Returns the connection to keep (null after any failure; it is disposed then).</summary>
    private static async Task<(string? Reason, RespConnection? Conn)> AttemptAsync(
        RespConnection? conn, IPEndPoint endpoint, Settings s, long n, long startMs)
    {
        if (conn is null)
        {
            using var cts = new CancellationTokenSource(s.ConnectTimeoutMs);
            try
            {
                conn = await RespConnection.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ("connect-timeout", null);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return ("refused", null);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                return ("io", null);
            }
        }

        var request = RespConnection.Encode([
            "SET", Analysis.ProbeKeys.Key(s.Prefix, n), startMs.ToString(CultureInfo.InvariantCulture)]);
        string reason;
        using (var cts = new CancellationTokenSource(s.ReplyTimeoutMs))
        {
            try
            {
                await conn.SendAsync(request, cts.Token).ConfigureAwait(false);
                var reply = await conn.ReadAsync(cts.Token).ConfigureAwait(false);
                if (reply is { Kind: RespKind.Simple, Text: "OK" })
                {
                    return (null, conn);
                }
                reason = reply.Kind == RespKind.Error ? ErrorCode(reply.Text) : "reply";
                if (reply.Kind == RespKind.Error)
                {
                    // A clean error reply leaves the connection usable (READONLY, NOREPLICAS, LOADING...).
                    return (reason, conn);
                }
            }
            catch (OperationCanceledException)
            {
                reason = "timeout";
            }
            catch (RespProtocolException)
            {
                reason = "protocol";
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                reason = "io";
            }
        }
        conn.Dispose();
        return (reason, null);
    }

    /// <summary>"READONLY You can't write..." -> "READONLY"; one word, never empty.</summary>
    private static string ErrorCode(string? text)
    {
        var word = (text ?? "").Split(' ', 2)[0];
        var sb = new StringBuilder();
        foreach (var ch in word)
        {
            if (char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')
            {
                sb.Append(ch);
            }
        }
        return sb.Length > 0 ? sb.ToString() : "error";
    }
}
