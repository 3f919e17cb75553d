using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace LabWriter;

/// <summary>
/// SET prefix:seq seq every interval. One attempt = (connect if needed) + SET + reply, each step
/// bounded; any failure drops the connection and the next attempt reconnects. Only "+OK" is an ack.
/// Acks go to the file as "seq ms" lines (ms since start, Stopwatch), flushed per ack so the file is
/// complete even if the writer itself is killed.
/// </summary>
internal static class WriteMode
{
    internal sealed record Settings(
        string Host, int Port, int IntervalMs, int DurationMs, string AckedFile, string Prefix,
        int ConnectTimeoutMs, int ReplyTimeoutMs, bool Verbose, string? ErrorsFile)
    {
        public static Settings From(Options o)
        {
            var s = new Settings(
                o.Required("--host"),
                o.Int("--port", null, 1, 65535),
                o.Int("--interval-ms", 10, 1, 60_000),
                o.Int("--duration-ms", null, 1, 24 * 3600 * 1000),
                o.Required("--acked"),
                o.Str("--prefix") ?? "w",
                o.Int("--connect-timeout-ms", 200, 1, 60_000),
                o.Int("--reply-timeout-ms", 200, 1, 60_000),
                o.Flag("--verbose"),
                o.Str("--errors"));
            o.RejectUnknown();
            return s;
        }
    }

    private enum Outcome { Ok, Refused, ConnectTimeout, ReplyTimeout, ReadOnly, ErrorReply, Io, Protocol }

    public static async Task<int> RunAsync(Settings s)
    {
        var endpoint = await Cli.ResolveAsync(s.Host, s.Port).ConfigureAwait(false);
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext ctx)
        {
            ctx.Cancel = true; // we exit ourselves, after flushing
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        using var acked = new StreamWriter(
            new FileStream(s.AckedFile, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));

        // Optional: one line per failed attempt, "ms outcome" (ms since start, same clock as the acks),
        // so a timeline can show when READONLY or refused replies happened, not only how many.
        using var errors = s.ErrorsFile is null ? null : new StreamWriter(
            new FileStream(s.ErrorsFile, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));

        var counts = new long[Enum.GetValues<Outcome>().Length];
        long attempts = 0, ackedCount = 0, seq = 0;
        long firstAck = -1, lastAck = -1, longestGap = 0, gapStart = -1, gapEnd = -1;
        string? lastError = null;
        var failing = false;
        RespConnection? conn = null;

        // Wall-clock anchor of the Stopwatch, so "ms since start" can be put on other tools' timelines.
        var startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        double nextDue = 0;
        try
        {
            while (!stop.IsCancellationRequested && sw.ElapsedMilliseconds < s.DurationMs)
            {
                seq++;
                attempts++;
                var (outcome, detail, c) = await AttemptAsync(conn, endpoint, s, seq).ConfigureAwait(false);
                conn = c;
                counts[(int)outcome]++;
                var now = sw.ElapsedMilliseconds;
                if (outcome == Outcome.Ok)
                {
                    ackedCount++;
                    acked.Write(seq.ToString(CultureInfo.InvariantCulture));
                    acked.Write(' ');
                    acked.Write(now.ToString(CultureInfo.InvariantCulture));
                    acked.Write('\n');
                    acked.Flush();
                    if (lastAck >= 0 && now - lastAck > longestGap)
                    {
                        longestGap = now - lastAck;
                        gapStart = lastAck;
                        gapEnd = now;
                    }
                    if (failing && s.Verbose)
                    {
                        Console.Error.WriteLine($"labwriter: t={now}ms ok again, {now - lastAck} ms since previous ack");
                    }
                    failing = false;
                    if (firstAck < 0)
                    {
                        firstAck = now;
                    }
                    lastAck = now;
                }
                else
                {
                    lastError = detail;
                    if (errors is not null)
                    {
                        errors.Write(now.ToString(CultureInfo.InvariantCulture));
                        errors.Write(' ');
                        errors.Write(Snake(outcome));
                        errors.Write('\n');
                        errors.Flush();
                    }
                    if (!failing && s.Verbose)
                    {
                        Console.Error.WriteLine($"labwriter: t={now}ms failing: {detail}");
                    }
                    failing = true;
                }

                // Fixed cadence; after a slow attempt (timeouts) go again at once, never burst to catch up.
                nextDue += s.IntervalMs;
                var wait = nextDue - sw.Elapsed.TotalMilliseconds;
                if (wait <= 0)
                {
                    nextDue = sw.Elapsed.TotalMilliseconds;
                }
                else
                {
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
        }
        finally
        {
            conn?.Dispose();
            acked.Flush();
            errors?.Flush();
        }

        var elapsed = sw.ElapsedMilliseconds;
        using var stdout = Console.OpenStandardOutput();
        using (var j = new Utf8JsonWriter(stdout, Cli.JsonOptions))
        {
            j.WriteStartObject();
            j.WriteNumber("attempts", attempts);
            j.WriteNumber("acked", ackedCount);
            j.WriteNumber("failed", attempts - ackedCount);
            j.WriteNumber("longest_outage_ms", longestGap);
            WriteNullable(j, "outage_start_ms", gapStart);
            WriteNullable(j, "outage_end_ms", gapEnd);
            WriteNullable(j, "first_ack_ms", firstAck);
            WriteNullable(j, "last_ack_ms", lastAck);
            j.WriteNumber("elapsed_ms", elapsed);
            j.WriteNumber("interval_ms", s.IntervalMs);
            j.WriteNumber("start_unix_ms", startUnixMs);
            j.WriteStartObject("errors");
            foreach (var o in Enum.GetValues<Outcome>())
            {
                if (o != Outcome.Ok)
                {
                    j.WriteNumber(Snake(o), counts[(int)o]);
                }
            }
            j.WriteEndObject();
            if (lastError is null)
            {
                j.WriteNull("last_error");
            }
            else
            {
                j.WriteString("last_error", lastError);
            }
            j.WriteEndObject();
        }
        stdout.Write("\n"u8);
        return 0;
    }

    private static void WriteNullable(Utf8JsonWriter j, string name, long v)
    {
        if (v < 0)
        {
            j.WriteNull(name);
        }
        else
        {
            j.WriteNumber(name, v);
        }
    }

    private static string Snake(Outcome o) => o switch
    {
        Outcome.Refused => "refused",
        Outcome.ConnectTimeout => "connect_timeout",
        Outcome.ReplyTimeout => "reply_timeout",
        Outcome.ReadOnly => "readonly",
        Outcome.ErrorReply => "error_reply",
        Outcome.Io => "io",
        Outcome.Protocol => "protocol",
        _ => "ok",
    };

    /// <summary>Returns the connection to keep (null after any failure; it is disposed then).</summary>
    private static async Task<(Outcome, string?, RespConnection?)> AttemptAsync(
        RespConnection? conn, IPEndPoint endpoint, Settings s, long seq)
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
                return (Outcome.ConnectTimeout, $"connect timeout ({s.ConnectTimeoutMs} ms)", null);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return (Outcome.Refused, "connection refused", null);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                return (Outcome.Io, "connect: " + e.Message, null);
            }
        }

        var key = Analysis.ProbeKeys.Key(s.Prefix, seq);
        var request = RespConnection.Encode(["SET", key, seq.ToString(CultureInfo.InvariantCulture)]);
        using (var cts = new CancellationTokenSource(s.ReplyTimeoutMs))
        {
            Outcome outcome;
            string? detail;
            try
            {
                await conn.SendAsync(request, cts.Token).ConfigureAwait(false);
                var reply = await conn.ReadAsync(cts.Token).ConfigureAwait(false);
                if (reply is { Kind: RespKind.Simple, Text: "OK" })
                {
                    return (Outcome.Ok, null, conn);
                }
                (outcome, detail) = reply.Kind switch
                {
                    RespKind.Error when reply.Text!.StartsWith("READONLY", StringComparison.Ordinal) =>
                        (Outcome.ReadOnly, "-" + reply.Text),
                    RespKind.Error => (Outcome.ErrorReply, "-" + reply.Text),
                    _ => (Outcome.Protocol, $"unexpected reply {reply.Kind} '{reply.Text}'"),
                };
            }
            catch (OperationCanceledException)
            {
                (outcome, detail) = (Outcome.ReplyTimeout, $"reply timeout ({s.ReplyTimeoutMs} ms)");
            }
            catch (RespProtocolException e)
            {
                (outcome, detail) = (Outcome.Protocol, e.Message);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                (outcome, detail) = (Outcome.Io, e.Message);
            }
            conn.Dispose();
            return (outcome, detail, null);
        }
    }
}
