using System.Globalization;
using System.Text.Json;

namespace LabWriter;

/// <summary>
/// Reads the acked file and MGETs the keys in batches: every acked write should still be there.
/// "present" = key exists; "mismatched" = exists with a value other than its seq (never expected).
/// </summary>
internal static class VerifyMode
{
    private const int LostSample = 20;

    internal sealed record Settings(string Host, int Port, string AckedFile, string Prefix, int TimeoutMs, int Batch)
    {
        public static Settings From(Options o)
        {
            var s = new Settings(
                o.Required("--host"),
                o.Int("--port", null, 1, 65535),
                o.Required("--acked"),
                o.Str("--prefix") ?? "w",
                o.Int("--timeout-ms", 2000, 1, 600_000),
                o.Int("--batch", 500, 1, 100_000));
            o.RejectUnknown();
            return s;
        }
    }

    public static async Task<int> RunAsync(Settings s)
    {
        var seqs = ReadAcked(s.AckedFile);
        var endpoint = await Cli.ResolveAsync(s.Host, s.Port).ConfigureAwait(false);

        RespConnection conn;
        using (var cts = new CancellationTokenSource(s.TimeoutMs))
        {
            try
            {
                conn = await RespConnection.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new IOException($"connect to {endpoint} timed out after {s.TimeoutMs} ms");
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new IOException($"connect to {endpoint}: {e.Message}");
            }
        }

        long present = 0, mismatched = 0;
        var lost = new List<long>();
        using (conn)
        {
            for (var off = 0; off < seqs.Count; off += s.Batch)
            {
                var batch = seqs.GetRange(off, Math.Min(s.Batch, seqs.Count - off));
                var cmd = new List<string>(batch.Count + 1) { "MGET" };
                cmd.AddRange(batch.Select(q => Analysis.ProbeKeys.Key(s.Prefix, q)));
                RespValue reply;
                using (var cts = new CancellationTokenSource(s.TimeoutMs))
                {
                    try
                    {
                        await conn.SendAsync(RespConnection.Encode(cmd), cts.Token).ConfigureAwait(false);
                        reply = await conn.ReadAsync(cts.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new IOException($"MGET reply from {endpoint} timed out after {s.TimeoutMs} ms");
                    }
                    catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
                    {
                        throw new IOException($"MGET to {endpoint}: {e.Message}");
                    }
                }
                if (reply.Kind == RespKind.Error)
                {
                    throw new IOException($"MGET failed: -{reply.Text}");
                }
                if (reply.Kind != RespKind.Array || reply.Items is null || reply.Items.Length != batch.Count)
                {
                    throw new IOException($"MGET: unexpected reply ({reply.Kind}, {reply.Items?.Length} items for {batch.Count} keys)");
                }
                for (var i = 0; i < batch.Count; i++)
                {
                    var v = reply.Items[i].Text;
                    if (v is null)
                    {
                        lost.Add(batch[i]);
                        continue;
                    }
                    present++;
                    if (v != batch[i].ToString(CultureInfo.InvariantCulture))
                    {
                        mismatched++;
                    }
                }
            }
        }

        using var stdout = Console.OpenStandardOutput();
        using (var j = new Utf8JsonWriter(stdout, Cli.JsonOptions))
        {
            j.WriteStartObject();
            j.WriteNumber("acked", seqs.Count);
            j.WriteNumber("present", present);
            j.WriteNumber("lost", lost.Count);
            j.WriteNumber("mismatched", mismatched);
            j.WriteStartArray("lost_first");
            foreach (var q in lost.Take(LostSample))
            {
                j.WriteNumberValue(q);
            }
            j.WriteEndArray();
            j.WriteEndObject();
        }
        stdout.Write("\n"u8);
        return 0;
    }

    /// <summary>Lines "seq ms" (ms optional); blank lines skipped, anything else is an error.</summary>
    private static List<long> ReadAcked(string path)
    {
        var seqs = new List<long>();
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var first = line.Split(' ', 2)[0];
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var q))
            {
                throw new InvalidDataException($"{path}:{n}: not an acked line: '{raw}'");
            }
            seqs.Add(q);
        }
        return seqs;
    }
}
