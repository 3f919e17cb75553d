using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Tests.Actors;

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

public sealed class FakeTransport(IPAddress primary, FakeLink? link = null) : IVrrpTransport
{
    private Action<byte[]>? _onDatagram;

    public IPAddress PrimaryAddress { get; } = primary;

    public ConcurrentQueue<VrrpAdvertisement> Sent { get; } = new();

    /// <summary>When set, sends are dropped (a VRRP-only partition).</summary>
    public volatile bool Cut;

    public bool Disposed { get; private set; }

    public void Start(Action<byte[]> onDatagram) => _onDatagram = onDatagram;

    public void Inject(byte[] datagram)
    {
        if (!Cut) _onDatagram?.Invoke(datagram);
    }

    public bool Send(byte[] message, IPAddress destination)
    {
        var datagram = Ipv4.Wrap(message, PrimaryAddress, destination);
        var decoded = VrrpCodec.Decode(datagram, message[1]);
        if (decoded.Packet is { } p) Sent.Enqueue(p.Advertisement);
        if (!Cut) link?.Deliver(this, datagram);
        return true;
    }

    public void Dispose() => Disposed = true;

    /// <summary>What <see cref="LinkUp"/> reports; tests flip it to simulate FAULT.</summary>
    public volatile bool Link = true;

    public bool LinkUp(out string reason)
    {
        reason = Link ? "eth0 up" : "eth0 operstate down";
        return Link;
    }
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
