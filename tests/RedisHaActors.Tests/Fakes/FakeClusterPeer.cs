using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RedisHaActors.Tests.Fakes;

/// <summary>
/// Something listening on 127.0.0.1 at a cluster address that a node dials, and behaving badly there: a TLS server
/// with a given certificate (another CA's, an expired one) that accepts any client, a TCP server that closes every
/// connection at once, or one that answers in plain text. It never speaks Akka. Every connection is bounded (10 s);
/// Dispose stops the listener and waits (bounded) for its loop.
/// </summary>
public sealed class FakeClusterPeer : IDisposable
{
    /// <summary>What the peer does with a connection.</summary>
    public enum Behaviour
    {
        /// <summary>TLS server handshake with <see cref="FakeClusterPeer(X509Certificate2)"/>'s certificate; any client certificate accepted.</summary>
        Tls,

        /// <summary>Closes at once, before any byte.</summary>
        Close,

        /// <summary>Writes an HTTP error line and closes.</summary>
        PlainText,
    }

    private static readonly TimeSpan PerConnection = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2? _certificate;
    private readonly Behaviour _behaviour;
    private readonly Task _loop;
    private int _connections;

    /// <summary>A TLS server presenting <paramref name="certificate"/> (with its key).</summary>
    public FakeClusterPeer(X509Certificate2 certificate)
        : this(Behaviour.Tls, certificate)
    {
    }

    /// <summary>A peer that behaves as <paramref name="behaviour"/> (not <see cref="Behaviour.Tls"/>, which needs a certificate).</summary>
    public FakeClusterPeer(Behaviour behaviour)
        : this(behaviour, null)
    {
    }

    private FakeClusterPeer(Behaviour behaviour, X509Certificate2? certificate)
    {
        if (behaviour == Behaviour.Tls && certificate is null) throw new ArgumentNullException(nameof(certificate));
        _behaviour = behaviour;
        _certificate = certificate;
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => Serve(socket));
        }
    }

    private async Task Serve(Socket socket)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        cts.CancelAfter(PerConnection);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            switch (_behaviour)
            {
                case Behaviour.Close:
                    return;
                case Behaviour.PlainText:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n"), cts.Token).ConfigureAwait(false);
                    return;
                default:
                    await using (var tls = new SslStream(stream, leaveInnerStreamOpen: true))
                    {
                        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                        {
                            ServerCertificate = _certificate,
                            ClientCertificateRequired = true,
                            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                            RemoteCertificateValidationCallback = (_, _, _, _) => true,
                        }, cts.Token).ConfigureAwait(false);
                        // Read whatever comes until the client gives up (or the bound).
                        var buffer = new byte[4096];
                        while (await tls.ReadAsync(buffer, cts.Token).ConfigureAwait(false) > 0)
                        {
                        }
                    }
                    return;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            // The client refused us or went away: that is the point.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
