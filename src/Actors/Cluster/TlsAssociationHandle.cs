using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace RedisHaActors.Cluster;

/// <summary>
/// One authenticated connection of <see cref="ClusterTlsTransport"/> (the TLS handshake is over, the peer's certificate
/// passed <see cref="ClusterTrust"/>): frames (<see cref="ClusterFrames"/>) to and from Akka's protocol layer. Writes are
/// queued and sent by one loop, so a slow peer never blocks the actor that writes; reading starts once Akka has
/// registered its listener (a connection Akka has not claimed within <c>connection-timeout</c> is closed: its
/// association gave up). The connection ends when Akka disassociates it (queued frames are sent first, within
/// <c>flush-wait-on-shutdown</c>, then the TLS session and the sending side are closed), when the peer closes or breaks
/// the framing, or when the transport shuts down; Akka's listener is then told <see cref="Disassociated"/>.
/// Thread-safe.
/// </summary>
internal sealed class TlsAssociationHandle : AssociationHandle
{
    /// <summary>
    /// Bytes queued for the peer beyond which <see cref="Write"/> answers false (Akka then buffers and retries): a peer
    /// that stopped reading costs bounded memory here.
    /// </summary>
    public const long QueueLimitBytes = 4 * 1024 * 1024;

    /// <summary>Largest batch of queued frames written in one TLS write, bytes.</summary>
    private const int BatchBytes = 64 * 1024;

    private readonly SslStream _tls;
    private readonly Socket _socket;
    private readonly ClusterTransportSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    // Not disposed: Disassociate may arm it after the loops ended, and a cancelled or fired source holds nothing.
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<Ending> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queued;
    private int _closing;
    private int _closedHere;
    private string? _failure;
    private bool _peerSpoke;
    private Ending _ending;

    /// <summary>Wraps an authenticated connection; <see cref="Start"/> starts its loops.</summary>
    /// <param name="localAddress">This node's transport address.</param>
    /// <param name="remoteAddress">The peer's transport address (dialed, or its socket address when it dialed us).</param>
    /// <param name="tls">The authenticated stream; owned (and disposed) by the handle with <paramref name="socket"/>.</param>
    /// <param name="socket">The stream's socket, for the half-close.</param>
    /// <param name="settings">The transport's settings.</param>
    /// <param name="log">Where a fault of this code is logged (how the connection ended is <see cref="Closed"/>'s result).</param>
    public TlsAssociationHandle(Address localAddress, Address remoteAddress, SslStream tls, Socket socket, ClusterTransportSettings settings, ILoggingAdapter log)
        : base(localAddress, remoteAddress)
    {
        _tls = tls;
        _socket = socket;
        _settings = settings;
        _log = log;
    }

    /// <summary>Completes once both loops have ended and the connection is disposed, with how it ended.</summary>
    public Task<Ending> Closed => _closed.Task;

    /// <summary>Starts reading (once Akka registers its listener) and writing.</summary>
    public void Start()
    {
        var reading = Task.Run(ReadLoop);
        var writing = Task.Run(WriteLoop);
        Task.WhenAll(reading, writing).ContinueWith(loops =>
        {
            // Only Akka's listener can still throw here (its Disassociated, after the connection was cut).
            if (loops.Exception is { } e) _log.Error(e.GetBaseException(), "cluster TLS: connection with {0}: Akka's listener failed", RemoteAddress);
            _tls.Dispose();
            _closed.TrySetResult(_ending);
        }, TaskScheduler.Default);
    }

    /// <summary>Queues <paramref name="payload"/> as one frame; false once closing, or while the queue is over <see cref="QueueLimitBytes"/>.</summary>
    public override bool Write(ByteString payload)
    {
        if (Volatile.Read(ref _closing) != 0 || Interlocked.Read(ref _queued) > QueueLimitBytes) return false;
        var frame = ClusterFrames.Encode(payload.Span, _settings.LittleEndian);
        Interlocked.Add(ref _queued, frame.Length);
        if (_outbound.Writer.TryWrite(frame)) return true;
        Interlocked.Add(ref _queued, -frame.Length);
        return false;
    }

    /// <summary>Closes gracefully: what is queued is sent (within flush-wait-on-shutdown), inbound frames are no longer delivered.</summary>
#pragma warning disable CS0672 // Akka's abstract member is marked obsolete in favour of the overload that logs a reason, which calls this one.
    public override void Disassociate()
#pragma warning restore CS0672
    {
        Volatile.Write(ref _closedHere, 1);
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;
        _outbound.Writer.TryComplete();
        _abort.CancelAfter(_settings.FlushWait);
    }

    /// <summary>Cuts the connection at once, for this node's own reasons (the transport shuts down).</summary>
    public void Abort()
    {
        Volatile.Write(ref _closedHere, 1);
        Cut();
    }

    /// <summary>Cuts the connection at once: refuses writes, stops delivering frames, ends both loops.</summary>
    private void Cut()
    {
        Volatile.Write(ref _closing, 1);
        _outbound.Writer.TryComplete();
        _abort.Cancel();
    }

    /// <summary>How the connection ended, as far as known when the read loop ends.</summary>
    private Ending Ended() => new(Volatile.Read(ref _failure), _peerSpoke, Volatile.Read(ref _closedHere) != 0);

    private async Task ReadLoop()
    {
        IHandleEventListener listener;
        try
        {
            // Akka claims a connection at once, unless the association it was made for gave up first (its handshake
            // timer, connection-timeout too, can fire while the connection is being made): then nobody ever will.
            listener = await ReadHandlerSource.Task.WaitAsync(_settings.ConnectionTimeout, _abort.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.Debug("cluster TLS: connection with {0} closed: not claimed by Akka within connection-timeout (its association gave up)", RemoteAddress);
            Abort();
            _ending = Ended();
            return;
        }
        catch (OperationCanceledException)
        {
            // Cut before Akka claimed it.
            _ending = Ended();
            return;
        }
        var header = new byte[ClusterFrames.HeaderBytes];
        try
        {
            while (true)
            {
                await _tls.ReadExactlyAsync(header, _abort.Token).ConfigureAwait(false);
                var (length, refusal) = ClusterFrames.Length(header, _settings.LittleEndian, _settings.MaximumFrameSize);
                if (refusal is not null)
                {
                    Failed(refusal);
                    return;
                }
                if (length == 0) continue;
                var payload = new byte[length];
                await _tls.ReadExactlyAsync(payload, _abort.Token).ConfigureAwait(false);
                _peerSpoke = true;
                // After a disassociation the peer's last frames are read (so it is not reset) but no longer delivered.
                if (Volatile.Read(ref _closing) == 0) listener.Notify(new InboundPayload(UnsafeByteOperations.UnsafeWrap(payload)));
            }
        }
        catch (EndOfStreamException)
        {
            // The peer closed the connection.
        }
        catch (Exception e)
        {
            Failed(e);
        }
        finally
        {
            // Whatever ended the loop, Akka is told once and the connection is cut (the write loop ends with it).
            _ending = Ended();
            try
            {
                listener.Notify(new Disassociated(DisassociateInfo.Unknown));
            }
            finally
            {
                Cut();
            }
        }
    }

    private async Task WriteLoop()
    {
        var reader = _outbound.Reader;
        var batch = new ArrayBufferWriter<byte>(BatchBytes);
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (batch.WrittenCount < BatchBytes && reader.TryRead(out var frame))
                {
                    batch.Write(frame);
                    Interlocked.Add(ref _queued, -frame.Length);
                }
                await _tls.WriteAsync(batch.WrittenMemory, _abort.Token).ConfigureAwait(false);
                batch.ResetWrittenCount();
            }
            // Disassociated and everything queued is sent: end the TLS session and the sending side; the peer closes its
            // side in turn (the read loop then ends), or flush-wait cuts it.
            await _tls.ShutdownAsync().WaitAsync(_abort.Token).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e)
        {
            Failed(e);
            // Broken or cut: the read loop ends too and tells Akka.
            Cut();
        }
    }

    /// <summary>
    /// A loop ended on <paramref name="e"/>. What a connection's end throws (an I/O error or reset; or a cancellation or
    /// disposal, when this side cut it) is a broken connection unless this side was closing it; anything else is a
    /// fault of this code, logged here as an error with its stack; either way the connection is closed.
    /// </summary>
    private void Failed(Exception e)
    {
        if (e is IOException or SocketException or AuthenticationException) Failed(e.Message);
        else if (e is not (OperationCanceledException or ObjectDisposedException))
        {
            _log.Error(e, "cluster TLS: connection with {0} failed unexpectedly; closing it", RemoteAddress);
            Failed(e.Message);
        }
    }

    /// <summary>The connection broke for <paramref name="why"/>: kept (the first reason) unless this side was closing it.</summary>
    private void Failed(string why)
    {
        if (Volatile.Read(ref _closing) == 0) Interlocked.CompareExchange(ref _failure, why, null);
    }

    /// <summary>How a connection ended.</summary>
    /// <param name="Failure">Why it broke (an I/O error, a refused frame), the first reason; null when it was closed in order.</param>
    /// <param name="PeerSpoke">Whether a frame from the peer arrived first.</param>
    /// <param name="ClosedHere">Whether this node ended it (Akka disassociated it, the transport cut it, nobody claimed it).</param>
    public readonly record struct Ending(string? Failure, bool PeerSpoke, bool ClosedHere);
}
