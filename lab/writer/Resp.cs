using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LabWriter;

internal enum RespKind { Simple, Error, Integer, Bulk, Array }

/// <summary>One RESP2 reply. Bulk/Array may be nil (Text/Items null).</summary>
internal sealed record RespValue(RespKind Kind, string? Text, long Integer = 0, RespValue[]? Items = null);

/// <summary>Thrown when the server's bytes are not RESP we understand.</summary>
internal sealed class RespProtocolException(string message) : Exception(message);

/// <summary>
/// A bare RESP2 connection: one socket, one request at a time, every call bounded by the caller's
/// token. No reconnects, no retries: on any failure the caller disposes it and decides what next.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    private const int MaxBuffer = 64 * 1024 * 1024;
    private readonly Socket _socket;
    private byte[] _buf = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(Socket socket) => _socket = socket;

    /// <summary>Connects; an expired <paramref name="ct"/> surfaces as OperationCanceledException.</summary>
    public static async Task<RespConnection> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
            return new RespConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Encodes a command as a RESP array of bulk strings.</summary>
    public static byte[] Encode(IReadOnlyList<string> args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Count).Append("\r\n");
        foreach (var a in args)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public async Task SendAsync(byte[] request, CancellationToken ct)
    {
        var sent = 0;
        while (sent < request.Length)
        {
            sent += await _socket.SendAsync(request.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
        }
    }

    public async Task<RespValue> ReadAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct).ConfigureAwait(false);
        if (line.Length == 0)
        {
            throw new RespProtocolException("empty reply line");
        }
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return new RespValue(RespKind.Simple, body);
            case '-':
                return new RespValue(RespKind.Error, body);
            case ':':
                return new RespValue(RespKind.Integer, body, ParseLong(body));
            case '$':
            {
                var len = ParseLong(body);
                if (len < 0)
                {
                    return new RespValue(RespKind.Bulk, null);
                }
                if (len > MaxBuffer)
                {
                    throw new RespProtocolException($"bulk string too large ({len} bytes)");
                }
                await FillAsync((int)len + 2, ct).ConfigureAwait(false);
                var text = Encoding.UTF8.GetString(_buf, _start, (int)len);
                _start += (int)len + 2;
                return new RespValue(RespKind.Bulk, text);
            }
            case '*':
            {
                var count = ParseLong(body);
                if (count < 0)
                {
                    return new RespValue(RespKind.Array, null);
                }
                var items = new RespValue[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = await ReadAsync(ct).ConfigureAwait(false);
                }
                return new RespValue(RespKind.Array, null, count, items);
            }
            default:
                throw new RespProtocolException($"unexpected reply type '{line[0]}'");
        }
    }

    private static long ParseLong(string s) =>
        long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign,
            System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new RespProtocolException($"bad number '{s}'");

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var scanFrom = _start;
        while (true)
        {
            var idx = Array.IndexOf(_buf, (byte)'\n', scanFrom, _end - scanFrom);
            if (idx > _start && _buf[idx - 1] == (byte)'\r')
            {
                var line = Encoding.UTF8.GetString(_buf, _start, idx - 1 - _start);
                _start = idx + 1;
                return line;
            }
            if (idx >= 0)
            {
                throw new RespProtocolException("bare LF in reply");
            }
            var consumed = _end - _start;
            await ReceiveMoreAsync(ct).ConfigureAwait(false);
            scanFrom = _start + consumed;
        }
    }

    /// <summary>Ensures at least <paramref name="count"/> unread bytes are buffered.</summary>
    private async Task FillAsync(int count, CancellationToken ct)
    {
        while (_end - _start < count)
        {
            await ReceiveMoreAsync(ct, count).ConfigureAwait(false);
        }
    }

    private async Task ReceiveMoreAsync(CancellationToken ct, int need = 0)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length || need > _buf.Length)
        {
            var size = Math.Max(_buf.Length * 2, need);
            if (size > MaxBuffer)
            {
                throw new RespProtocolException("reply too large");
            }
            Array.Resize(ref _buf, size);
        }
        var n = await _socket.ReceiveAsync(_buf.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
        if (n == 0)
        {
            throw new IOException("connection closed by server");
        }
        _end += n;
    }

    public void Dispose() => _socket.Dispose();
}
