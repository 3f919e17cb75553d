namespace RedisHaActors.Configuration;

/// <summary>The <c>redis-ha.vrrp</c> section (keepalived's <c>vrrp_instance</c>).</summary>
/// <param name="Interface">Interface for adverts and the VIP.</param>
/// <param name="VirtualRouterId">RFC 5798 VRID, 1..255.</param>
/// <param name="Priority">Base priority 1..254 (255 is reserved for the address owner).</param>
/// <param name="AdvertInterval">Advertisement_Interval; v3: 10 ms..40.95 s in 10 ms steps.</param>
/// <param name="Version">VRRP version; 3 (RFC 5798).</param>
/// <param name="Preempt">false = keepalived's nopreempt.</param>
/// <param name="VirtualAddresses">At least one IPv4 VIP.</param>
/// <param name="VipLease">Kernel valid_lft of the VIP, whole seconds 1..3600.</param>
/// <param name="GarpMasterRepeat">Gratuitous ARP frames on becoming master, 1..100.</param>
/// <param name="Authentication">VRRPv2 authentication; none for v3.</param>
/// <param name="UnicastPeers">Unicast peers; empty = multicast 224.0.0.18.</param>
/// <param name="PreemptDelay">No preemption until this long after start-up, 0..1000 s.</param>
/// <param name="SkipCheckAdvertAddresses">Accept adverts whose address list differs from ours.</param>
/// <param name="GarpMasterDelay">Second gratuitous ARP burst after becoming master; zero = none.</param>
/// <param name="GarpMasterRefresh">Periodic gratuitous ARP burst while master; zero = never.</param>
/// <param name="FailoverDamping">After the VIP moves to or from this node, this long without a failover on uncertain evidence
/// (<see cref="Hosting.FailoverDamping"/>), 0..3600 s; zero = off.</param>
public sealed record VrrpSettings(
    string Interface,
    byte VirtualRouterId,
    byte Priority,
    TimeSpan AdvertInterval,
    int Version,
    bool Preempt,
    IReadOnlyList<VirtualAddress> VirtualAddresses,
    TimeSpan VipLease,
    int GarpMasterRepeat,
    VrrpAuthentication? Authentication = null,
    IReadOnlyList<System.Net.IPAddress>? UnicastPeers = null,
    TimeSpan PreemptDelay = default,
    bool SkipCheckAdvertAddresses = false,
    TimeSpan GarpMasterDelay = default,
    TimeSpan GarpMasterRefresh = default,
    TimeSpan FailoverDamping = default)
{
    /// <summary>Authentication in effect (never null).</summary>
    public VrrpAuthentication Auth => Authentication ?? VrrpAuthentication.None;

    /// <summary>Unicast peers in effect (never null).</summary>
    public IReadOnlyList<System.Net.IPAddress> Peers => UnicastPeers ?? [];

    /// <summary>Advert interval in centiseconds as carried by VRRPv3 (RFC 5798 §5.2.7).</summary>
    public ushort AdvertIntervalCentiseconds => (ushort)(AdvertInterval.Ticks / TimeSpan.TicksPerMillisecond / 10);

    internal static VrrpSettings Create(SettingsReader r, SettingsReader auth, List<string> warnings)
    {
        var iface = r.String("interface");
        if (string.IsNullOrWhiteSpace(iface) || iface.Length > 15)
            throw r.Error("interface", iface, "an interface name of 1..15 characters is required");
        var vrid = r.Int("virtual-router-id", 1, 255);
        var priority = r.Int("priority", 1, 254);
        var version = r.Int("version", 2, 3);
        TimeSpan advert;
        if (version == 2)
        {
            // RFC 3768 §5.3.7 carries whole seconds; keepalived would send a sub-second v2 interval as 0.
            const string allowed = "allowed 1s..255s in whole seconds with version = 2";
            advert = r.Duration("advert-interval", TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(255), allowed);
            if (advert < TimeSpan.FromSeconds(1) || advert.Ticks % TimeSpan.TicksPerSecond != 0)
                throw r.Error("advert-interval", r.String("advert-interval"), allowed);
        }
        else
        {
            advert = r.Duration("advert-interval", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40950),
                "allowed 10ms..40.95s in 10ms steps");
            if (advert.Ticks % (TimeSpan.TicksPerMillisecond * 10) != 0)
                throw r.Error("advert-interval", r.String("advert-interval"), "allowed 10ms..40.95s in 10ms steps");
        }
        var preempt = r.Bool("preempt");
        var vips = new List<VirtualAddress>();
        foreach (var text in r.StringList("virtual-ipaddress"))
        {
            if (!VirtualAddress.TryParse(text, out var vip))
                throw r.Error("virtual-ipaddress", text, "IPv4 addresses like 192.0.2.100/24");
            vips.Add(vip!);
        }
        if (vips.Count == 0)
            throw r.Error("virtual-ipaddress", "[]", "at least one IPv4 address like 192.0.2.100/24");
        if (vips.Count > 255)
            throw r.Error("virtual-ipaddress", vips.Count.ToString(), "at most 255 addresses");
        var lease = r.Duration("vip-lease", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "allowed 1s..1h in whole seconds");
        if (lease.Ticks % TimeSpan.TicksPerSecond != 0)
            throw r.Error("vip-lease", r.String("vip-lease"), "allowed 1s..1h in whole seconds");
        var garp = r.Int("garp-master-repeat", 1, 100);
        var authentication = VrrpAuthentication.Create(auth, version, warnings);
        var peers = new List<System.Net.IPAddress>();
        foreach (var text in r.StringList("unicast-peers"))
        {
            if (!VirtualAddress.TryParse(text, out var peer) || peer!.PrefixLength != 32 || text.Contains('/'))
                throw r.Error("unicast-peers", text, "IPv4 addresses like 192.0.2.2");
            peers.Add(peer.Address);
        }
        var preemptDelay = r.Duration("preempt-delay", TimeSpan.Zero, TimeSpan.FromSeconds(1000), "allowed 0s..1000s");
        var skip = r.Bool("skip-check-adv-addr");
        var garpDelay = r.Duration("garp-master-delay", TimeSpan.Zero, TimeSpan.FromHours(1), "allowed 0s..1h");
        var garpRefresh = r.Duration("garp-master-refresh", TimeSpan.Zero, TimeSpan.FromHours(1), "allowed 0s..1h");
        if (garpRefresh > TimeSpan.Zero && garpRefresh < TimeSpan.FromSeconds(1))
            throw r.Error("garp-master-refresh", r.String("garp-master-refresh"), "allowed 0s (never) or 1s..1h");
        var damping = r.Duration("failover-damping", TimeSpan.Zero, TimeSpan.FromHours(1), "allowed 0s (off)..1h");
        return new VrrpSettings(iface, (byte)vrid, (byte)priority, advert, version, preempt, vips, lease, garp,
            authentication, peers, preemptDelay, skip, garpDelay, garpRefresh, damping);
    }
}
