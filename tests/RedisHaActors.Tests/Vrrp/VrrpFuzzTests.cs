using RedisHaActors.Primitives;
using System.Buffers.Binary;
using System.Net;
using RedisHaActors.Vrrp;
using Xunit;
using static RedisHaActors.Tests.Vrrp.TestPackets;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>
/// Deterministic fuzzing of <see cref="VrrpCodec.Decode"/> (seeded <see cref="Random"/>) and of
/// <see cref="VrrpStateMachine"/> with whatever the decoder accepts.
/// </summary>
public sealed class VrrpFuzzTests
{
    private const int Inputs = 120_000;
    private const int Seed = 5798;

    private enum Kind { RandomBytes, SingleMutation, MultiMutation, Structured }

    private sealed record Input(Kind Kind, byte[] Bytes, bool RequireTtl255);

    /// <summary>Generates the inputs; the same sequence on every run.</summary>
    private static IEnumerable<Input> Generate(int seed)
    {
        var rng = new Random(seed);
        var seeds = All.Select(v => v.Datagram).ToArray();
        for (var i = 0; i < Inputs; i++)
        {
            var kind = (Kind)(i % 4);
            byte[] bytes;
            switch (kind)
            {
                case Kind.RandomBytes:
                    bytes = new byte[rng.Next(0, 101)];
                    rng.NextBytes(bytes);
                    if (rng.Next(3) == 0 && bytes.Length > 0) bytes[0] = 0x45; // get past the first check sometimes
                    break;
                case Kind.SingleMutation:
                {
                    bytes = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                    var at = rng.Next(bytes.Length);
                    if (rng.Next(2) == 0) bytes[at] ^= (byte)(1 << rng.Next(8));
                    else bytes[at] = (byte)rng.Next(256);
                    break;
                }
                case Kind.MultiMutation:
                {
                    bytes = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                    var n = rng.Next(2, 7);
                    for (var k = 0; k < n; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                    switch (rng.Next(6))
                    {
                        case 0: bytes = bytes[..rng.Next(bytes.Length + 1)]; break;           // truncate
                        case 1: bytes = [.. bytes, .. new byte[rng.Next(1, 9)]]; break;       // pad
                    }
                    break;
                }
                default:
                    bytes = Structured(rng);
                    break;
            }
            yield return new Input(kind, bytes, rng.Next(4) != 0);
        }
    }

    /// <summary>An IPv4 header around a VRRP-like message with random fields, mostly plausible.</summary>
    private static byte[] Structured(Random rng)
    {
        var count = rng.Next(8) == 0 ? rng.Next(0, 4) : rng.Next(1, 4);
        var carried = rng.Next(8) == 0 ? rng.Next(0, 4) : count;
        var vrrp = new byte[8 + 4 * carried];
        vrrp[0] = (byte)((rng.Next(10) == 0 ? rng.Next(16) : 3) << 4 | (rng.Next(10) == 0 ? rng.Next(16) : 1));
        vrrp[1] = rng.Next(10) == 0 ? (byte)rng.Next(256) : (byte)51;
        vrrp[2] = rng.Next(5) switch { 0 => 0, 1 => 255, _ => (byte)rng.Next(1, 255) };
        vrrp[3] = (byte)count;
        var interval = rng.Next(10) switch { 0 => 0, 1 => rng.Next(0x10000), _ => rng.Next(1, 300) };
        BinaryPrimitives.WriteUInt16BigEndian(vrrp.AsSpan(4), (ushort)interval);
        for (var i = 0; i < carried; i++)
        {
            vrrp[8 + 4 * i] = 192; vrrp[9 + 4 * i] = 0; vrrp[10 + 4 * i] = 2; vrrp[11 + 4 * i] = (byte)rng.Next(256);
        }
        var source = new IPAddress(new byte[] { 192, 0, 2, (byte)rng.Next(1, 255) });
        var destination = rng.Next(2) == 0 ? VrrpCodec.MulticastGroup : Node2;
        if (rng.Next(4) != 0) FixChecksum(vrrp, source, destination);
        else BinaryPrimitives.WriteUInt16BigEndian(vrrp.AsSpan(6), (ushort)rng.Next(0x10000));
        var ttl = rng.Next(6) == 0 ? (byte)rng.Next(256) : (byte)255;
        return Ipv4(vrrp, source, destination, ttl: ttl, optionsLength: rng.Next(8) == 0 ? 4 * rng.Next(1, 11) : 0);
    }

    [Fact]
    public void Decode_never_throws_and_everything_it_accepts_reencodes_to_the_same_bytes()
    {
        var drops = new Dictionary<DropReason, int>();
        var validByKind = new Dictionary<Kind, int>();
        var total = 0;
        foreach (var input in Generate(Seed))
        {
            total++;
            DecodeResult result;
            try
            {
                result = VrrpCodec.Decode(input.Bytes, 51, input.RequireTtl255);
            }
            catch (Exception e)
            {
                Assert.Fail($"Decode threw {e.GetType().Name} on {Convert.ToHexString(input.Bytes)}: {e.Message}");
                throw;
            }

            Assert.True(result.IsValid == (result.Drop is null), "exactly one of packet and drop reason");
            if (result.Drop is { } reason)
            {
                drops[reason] = drops.GetValueOrDefault(reason) + 1;
                continue;
            }
            validByKind[input.Kind] = validByKind.GetValueOrDefault(input.Kind) + 1;
            AssertConsistent(input, result.Packet!);
        }

        Assert.True(total >= 100_000);
        // The fuzzer reached every check of the decoder, and accepted inputs of every kind but pure noise.
        foreach (var reason in Enum.GetValues<DropReason>().Where(r => r is not (DropReason.OwnAdvert or DropReason.Authentication or DropReason.AddressList or DropReason.UnknownSource)))
            Assert.True(drops.GetValueOrDefault(reason) > 0, $"no input was dropped for {reason}");
        Assert.True(validByKind.GetValueOrDefault(Kind.SingleMutation) > 100, "single mutations of the vectors never passed");
        Assert.True(validByKind.GetValueOrDefault(Kind.MultiMutation) > 10, "multi-byte mutations of the vectors never passed");
        Assert.True(validByKind.GetValueOrDefault(Kind.Structured) > 5_000, "structured inputs rarely passed");
    }

    private static void AssertConsistent(Input input, ReceivedAdvertisement packet)
    {
        var d = input.Bytes;
        Assert.Equal(4, d[0] >> 4);
        Assert.Equal(112, d[9]);
        var ihl = (d[0] & 0x0F) * 4;
        var total = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2));
        Assert.InRange(ihl, 20, 60);
        Assert.InRange(total, ihl + 12, d.Length);
        Assert.Equal(new IPAddress(d.AsSpan(12, 4)), packet.Source);
        Assert.Equal(new IPAddress(d.AsSpan(16, 4)), packet.Destination);
        Assert.Equal(d[8], packet.Ttl);
        if (input.RequireTtl255) Assert.Equal(255, packet.Ttl);
        var a = packet.Advertisement;
        Assert.Equal(3, a.Version);
        Assert.Equal(51, a.VirtualRouterId);
        Assert.InRange(a.MaxAdvertIntervalCentiseconds, 1, 4095);
        Assert.InRange(a.Addresses.Count, 1, 255);

        var received = d[ihl..total];
        var expected = received;
        if ((received[4] & 0xF0) != 0)
        {
            // Reserved bits are ignored on receipt and sent as zero: compare with them cleared.
            expected = (byte[])received.Clone();
            expected[4] &= 0x0F;
            FixChecksum(expected, packet.Source, packet.Destination);
        }
        var reencoded = VrrpCodec.EncodeV3(a, packet.Source, packet.Destination);
        Assert.True(expected.AsSpan().SequenceEqual(reencoded),
            $"accepted {Convert.ToHexString(d)} but re-encodes to {Convert.ToHexString(reencoded)}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Accepted_adverts_drive_the_state_machine_within_the_rfc_rules(bool preempt)
    {
        var rng = new Random(Seed + (preempt ? 1 : 2));
        var checker = new MachineChecker(Settings(priority: 200, intervalCs: 100, preempt: preempt, leaseSeconds: 2), Node2);
        var now = TimeSpan.FromSeconds(1);
        checker.Step(new Startup(), now);
        checker.Step(new HealthChanged(200, true, "first check passed"), now);
        var fed = 0;
        foreach (var input in Generate(Seed))
        {
            var result = VrrpCodec.Decode(input.Bytes, 51, input.RequireTtl255);
            if (result.Packet is not { } packet || packet.Source.Equals(Node2)) continue; // the actor drops own adverts

            // Time passes: usually a few hundred ms, sometimes a stall longer than the lease.
            now += rng.Next(20) == 0 ? TimeSpan.FromMilliseconds(rng.Next(2000, 8000)) : TimeSpan.FromMilliseconds(rng.Next(0, 1500));
            // A live actor fires due timers as they come; after a stall the advert may be handled first.
            if (rng.Next(3) != 0)
            {
                checker.FireDueTimers(now, punctual: true);
                checker.Step(new AdvertisementReceived(packet), now);
            }
            else
            {
                checker.Step(new AdvertisementReceived(packet), now);
                checker.FireDueTimers(now, punctual: false);
            }
            if (rng.Next(40) == 0)
                checker.Step(new HealthChanged((byte)rng.Next(1, 255), rng.Next(3) != 0, "fuzz"), now);
            fed++;
        }
        Assert.True(fed > 5_000, $"only {fed} adverts fed");
        Assert.True(checker.Transitions[(VrrpState.Backup, VrrpState.Master)] > 10, "never became master");
        Assert.True(checker.Transitions[(VrrpState.Master, VrrpState.Backup)] > 10, "never stepped down");
        Assert.True(checker.LateRenewals.Count == 0, $"{checker.LateRenewals.Count} late VIP renewals; first: {checker.LateRenewals.FirstOrDefault()}");
    }

    /// <summary>Applies events and checks the RFC 5798 / product invariants after each one.</summary>
    private sealed class MachineChecker(RedisHaActors.Configuration.VrrpSettings settings, IPAddress primary)
    {
        private readonly VrrpStateMachine _machine = new(settings, primary);
        private VrrpInstanceState _state = VrrpInstanceState.Initial(settings.Priority, settings.AdvertIntervalCentiseconds);
        private bool _holdsVip;
        private TimeSpan? _leaseFrom;

        /// <summary>Renewals of a VIP whose kernel lease had already run out (it would come back beside a new master).</summary>
        public List<string> LateRenewals { get; } = [];

        public Dictionary<(VrrpState, VrrpState), int> Transitions { get; } = new()
        {
            [(VrrpState.Backup, VrrpState.Master)] = 0,
            [(VrrpState.Master, VrrpState.Backup)] = 0,
            [(VrrpState.Initialize, VrrpState.Backup)] = 0,
        };

        /// <summary>A punctual timer delivers each due deadline at its own time; a stalled process only once, late, at now.</summary>
        public void FireDueTimers(TimeSpan now, bool punctual)
        {
            for (var guard = 0; punctual && guard < 10_000 && _machine.NextDeadline(_state) is { } due && due <= now; guard++)
                Step(new TimerElapsed(), due);
            Step(new TimerElapsed(), now);
        }

        public void Step(VrrpEvent e, TimeSpan now)
        {
            var before = _state;
            VrrpTransition t;
            try
            {
                t = _machine.Handle(before, e, now);
            }
            catch (Exception ex)
            {
                Assert.Fail($"{e} at {now} threw {ex}");
                throw;
            }
            var after = t.State;
            var described = string.Join(", ", t.Actions.Select(VrrpStateMachineTests.Describe));
            var where = $"{e} at {now.TotalMilliseconds} ms in {before} -> {after} [{described}]";

            // State shape.
            if (after.State == VrrpState.Master)
            {
                Assert.True(after.Eligible, $"MASTER while not eligible: {where}");
                Assert.True(after.AdverTimer is not null && after.LastRenewalAt is not null && after.MasterDownTimer is null, $"bad MASTER timers: {where}");
            }
            else
            {
                Assert.True(after.AdverTimer is null && after.LastRenewalAt is null, $"non-master with master timers: {where}");
                if (!after.Eligible) Assert.True(after.MasterDownTimer is null, $"ineligible backup with a timer: {where}");
            }

            // Only a Master_Down_Timer that ran out (§6.4.2) makes a master.
            if (before.State != VrrpState.Master && after.State == VrrpState.Master)
            {
                Assert.True(e is TimerElapsed, $"became master on {where}");
                Assert.True(before.MasterDownTimer is { } down && now >= down, $"became master before the deadline: {where}");
            }
            // §6.4.3: a master steps down for a better advert, ineligibility (yield) or a lapsed lease only.
            var lapsed = before.LastRenewalAt is { } renewed && now - renewed >= settings.VipLease &&
                         t.Actions.OfType<StateChanged>().Any(c => c.Cause.StartsWith("VIP lease lapsed", StringComparison.Ordinal));
            if (before.State == VrrpState.Master && after.State == VrrpState.Backup && e is AdvertisementReceived ar && !lapsed)
            {
                var p = ar.Packet.Advertisement.Priority;
                Assert.True(p > before.Priority || (p == before.Priority && Ipv4Order.Compare(ar.Packet.Source, primary) > 0),
                    $"stepped down for a worse advert: {where}");
            }

            // StateChanged iff the state changed, and it says so truthfully.
            var changes = t.Actions.OfType<StateChanged>().ToArray();
            if (before.State == after.State) Assert.Empty(changes);
            else
            {
                var c = Assert.Single(changes);
                Assert.Equal(before.State, c.From);
                Assert.Equal(after.State, c.To);
                Assert.False(string.IsNullOrWhiteSpace(c.Cause));
                Transitions[(c.From, c.To)] = Transitions.GetValueOrDefault((c.From, c.To)) + 1;
            }

            // Adverts: our own priority while master, 0 only when leaving.
            foreach (var send in t.Actions.OfType<SendAdvertisement>())
            {
                if (send.Priority == 0) Assert.True(before.State == VrrpState.Master && after.State != VrrpState.Master, $"priority 0 sent while staying master: {where}");
                else Assert.True(after.State == VrrpState.Master && send.Priority == after.Priority, $"advert at {send.Priority}: {where}");
            }

            // The VIP: held exactly while MASTER, never renewed after the kernel lease ran out.
            foreach (var a in t.Actions)
            {
                switch (a)
                {
                    case AcquireVirtualAddresses:
                        Assert.False(_holdsVip, $"acquired twice: {where}");
                        _holdsVip = true;
                        _leaseFrom = now;
                        break;
                    case RenewVirtualAddresses:
                        Assert.True(_holdsVip, $"renewed a VIP it does not hold: {where}");
                        // Collected rather than thrown so that the run goes on checking every other rule.
                        if (now - _leaseFrom!.Value >= settings.VipLease)
                            LateRenewals.Add($"late renewal {(now - _leaseFrom.Value).TotalMilliseconds} ms after the last one (lease {settings.VipLease.TotalMilliseconds} ms): {where}");
                        _leaseFrom = now;
                        break;
                    case ReleaseVirtualAddresses:
                        _holdsVip = false;
                        _leaseFrom = null;
                        break;
                }
            }
            Assert.True(_holdsVip == (after.State == VrrpState.Master), $"VIP held = {_holdsVip} in {after.State}: {where}");
            _state = after;
        }
    }
}
