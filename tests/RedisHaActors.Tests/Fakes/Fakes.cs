using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Tests.Fakes;

/// <summary>Wraps a VRRP message in an IPv4 header as a raw socket would deliver it.</summary>
public static class Ipv4
{
    public static byte[] Wrap(byte[] vrrp, IPAddress source, IPAddress destination, byte ttl = 255)
    {
        var d = new byte[20 + vrrp.Length];
        d[0] = 0x45;
        d[1] = 0xc0;
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)d.Length);
        d[8] = ttl;
        d[9] = 112;
        source.TryWriteBytes(d.AsSpan(12, 4), out _);
        destination.TryWriteBytes(d.AsSpan(16, 4), out _);
        vrrp.CopyTo(d, 20);
        return d;
    }
}

/// <summary>A shared wire: every transport attached receives what the others send (not its own).</summary>
public sealed class FakeLink
{
    private readonly List<FakeTransport> _ports = new();

    public FakeTransport Attach(string address)
    {
        var t = new FakeTransport(IPAddress.Parse(address), this);
        lock (_ports) _ports.Add(t);
        return t;
    }

    internal void Deliver(FakeTransport from, byte[] datagram)
    {
        FakeTransport[] ports;
        lock (_ports) ports = _ports.ToArray();
        foreach (var p in ports)
            if (p != from) p.Inject(datagram);
    }
}

/// <summary>
/// A transport on a fake "eth0" (index 1 unless re-created): reports the interface's state at
/// <see cref="Start"/> as the netlink watch does, and whatever tests <see cref="Report"/> later.
/// </summary>
public sealed class FakeTransport : IVrrpTransport
{
    private readonly FakeLink? _link;
    private Action<byte[]>? _onDatagram;
    private Action<InterfaceState>? _onInterface;
    private InterfaceState _interface;

    /// <param name="primary">The interface's address; the transport starts bound to it unless <paramref name="initial"/> says otherwise.</param>
    /// <param name="link">The shared wire, if any.</param>
    /// <param name="initial">The interface as first reported (e.g. without an address yet); bound only if usable.</param>
    public FakeTransport(IPAddress primary, FakeLink? link = null, InterfaceState? initial = null)
    {
        _link = link;
        _interface = initial ?? new InterfaceState("eth0", 1, true, primary, "up");
        if (_interface.Usable) (PrimaryAddress, InterfaceIndex) = (_interface.Primary, _interface.Index);
    }

    public IPAddress? PrimaryAddress { get; private set; }

    public int? InterfaceIndex { get; private set; }

    public ConcurrentQueue<VrrpAdvertisement> Sent { get; } = new();

    /// <summary>Every <see cref="Bind"/> call, in order (a re-open of the socket).</summary>
    public ConcurrentQueue<InterfaceState> Binds { get; } = new();

    public int Unbinds;

    /// <summary>When set, sends are dropped (a VRRP-only partition).</summary>
    public volatile bool Cut;

    public bool Disposed { get; private set; }

    public void Start(Action<byte[]> onDatagram, Action<InterfaceState> onInterfaceChanged)
    {
        _onDatagram = onDatagram;
        _onInterface = onInterfaceChanged;
        onInterfaceChanged(_interface);
    }

    /// <summary>Reports a new interface state, as the netlink watch would.</summary>
    public void Report(InterfaceState state)
    {
        _interface = state;
        _onInterface?.Invoke(state);
    }

    /// <summary>Operstate up or down, same index and address (tests flip it to simulate FAULT).</summary>
    public bool Link
    {
        set => Report(_interface with { Up = value, OperState = value ? "up" : "down" });
    }

    public void Bind(InterfaceState state)
    {
        Binds.Enqueue(state);
        (PrimaryAddress, InterfaceIndex) = (state.Primary, state.Index);
    }

    public void Unbind()
    {
        Interlocked.Increment(ref Unbinds);
        (PrimaryAddress, InterfaceIndex) = (null, null);
    }

    public void Inject(byte[] datagram)
    {
        if (!Cut) _onDatagram?.Invoke(datagram);
    }

    public bool Send(byte[] message, IPAddress destination)
    {
        if (PrimaryAddress is not { } source) return false;
        var datagram = Ipv4.Wrap(message, source, destination);
        var decoded = VrrpCodec.Decode(datagram, message[1]);
        if (decoded.Packet is { } p) Sent.Enqueue(p.Advertisement);
        if (!Cut) _link?.Deliver(this, datagram);
        return true;
    }

    public void Dispose() => Disposed = true;
}

public sealed class FakeVirtualAddresses : IVirtualAddresses
{
    private Action<VirtualAddressesFailed>? _onFailed;

    public ConcurrentQueue<string> Operations { get; } = new();

    /// <summary>Whether the VIP is held now, by the operations seen (a failed add holds nothing).</summary>
    public bool Held { get; private set; }

    /// <summary>When set, acquire fails with this error (as netlink without CAP_NET_ADMIN would).</summary>
    public volatile string? FailAcquire;

    /// <summary>When set, renew fails with this error.</summary>
    public volatile string? FailRenew;

    public void Start(Action<VirtualAddressesFailed> onFailed) => _onFailed = onFailed;

    public void Acquire()
    {
        Operations.Enqueue("acquire");
        if (Fail(VipOperation.Acquire, FailAcquire)) return;
        Held = true;
    }

    public void Renew()
    {
        Operations.Enqueue("renew");
        if (Fail(VipOperation.Renew, FailRenew)) Held = false;
    }

    public void Announce() => Operations.Enqueue("announce");

    public void Release() { Operations.Enqueue("release"); Held = false; }

    public bool Flush(TimeSpan timeout) => true;

    public void Dispose() { }

    private bool Fail(VipOperation operation, string? error)
    {
        if (error is null) return false;
        // From another thread, as the real worker reports.
        var report = _onFailed;
        ThreadPool.QueueUserWorkItem(_ => report?.Invoke(new VirtualAddressesFailed(operation, error)));
        return true;
    }
}
