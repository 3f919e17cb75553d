using System.Net.Sockets;

namespace RedisHaActors.Primitives;

/// <summary>
/// Whether a TCP port actively refuses connections (RST: nothing listens there). A refusal proves the
/// process that listened is gone from that host; a timeout proves nothing (a cut, a frozen or vanished host).
/// </summary>
public static class TcpRefusal
{
    /// <summary>True only when the connection to <paramref name="host"/>:<paramref name="port"/> is refused
    /// (<see cref="SocketError.ConnectionRefused"/>); false when it connects, times out or fails otherwise.</summary>
    /// <param name="host">An address or host name.</param>
    /// <param name="port">1..65535.</param>
    /// <param name="timeout">Bound on the attempt.</param>
    /// <param name="ct">Cancels the attempt (then false).</param>
    public static async Task<bool> IsRefusedAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            return false;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
