using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using RedisHaActors.Configuration;

namespace RedisHaActors.Cluster;

/// <summary>
/// Turns Akka cluster membership and reachability into a <see cref="QuorumView"/>
/// (<see cref="QuorumPolicy"/>) and gossips every node's <see cref="PeerState"/> through Distributed
/// Data. Tells its listener <see cref="QuorumChanged"/> and <see cref="PeersChanged"/>. Acts on
/// each reachability event at once; downing itself stays with Akka's split-brain resolver.
/// </summary>
public sealed class ClusterGuardActor : ReceiveActor, IWithTimers
{
    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record DownIfStillUnreachable(Address Address);

    private sealed record MapWaitOver
    {
        public static MapWaitOver Instance { get; } = new();
    }

    private sealed record RefreshMasterClaim
    {
        public static RefreshMasterClaim Instance { get; } = new();
    }

    /// <summary>How often a node claiming VRRP MASTER re-gossips its unchanged state: a peer that lost and regained
    /// it holds the claim as unreachable until a newer incarnation arrives (<see cref="_claimsBefore"/>), so this
    /// bounds that wait even when this node never saw the cut itself (reachability is one-sided).</summary>
    private static readonly TimeSpan MasterClaimRefresh = TimeSpan.FromSeconds(2);

    /// <summary>The split-brain resolver's <c>stable-after</c> (cluster.conf): with two voters in
    /// availability mode (no resolver there) the guard downs an unreachable peer itself after as long.</summary>
    private readonly TimeSpan _availabilityDownAfter;

    private static readonly LWWDictionaryKey<string, string> PeersKey = new("redis-ha-peers");

    /// <summary>The set's maintenance mode (<see cref="MaintenanceState"/> as JSON); absent = never paused.</summary>
    private static readonly LWWRegisterKey<string> MaintenanceKey = new("redis-ha-maintenance");

    /// <summary>How long a pause or resume waits for a majority of the voters to store it, and the first read after joining.</summary>
    public static readonly TimeSpan MaintenanceConsistencyTimeout = TimeSpan.FromSeconds(3);

    private sealed record ReadMaintenance
    {
        public static ReadMaintenance Instance { get; } = new();
    }

    private bool _maintenanceRead;
    private bool _maintenanceAsked;

    private readonly ClusterGuardSettings _settings;
    private readonly IActorRef _listener;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly IActorRef _replicator;
    private readonly Dictionary<Address, Member> _members = new();
    private readonly HashSet<Address> _unreachable = new();
    private IReadOnlyDictionary<string, PeerState> _gossiped = new Dictionary<string, PeerState>();
    private QuorumView _view;
    private IReadOnlyList<PeerView> _peers = [];
    private IReadOnlyList<string> _pending = [];
    private IReadOnlyList<PeerState> _remembered = [];
    private PeerState? _local;
    private IReadOnlySet<string> _previousIncarnation = new HashSet<string>();
    /// <summary>Per member that became unreachable: the incarnation of its entry then (0 none). A MASTER claim no
    /// newer than that was made before the cut; it does not count as live when reachability returns.</summary>
    private readonly Dictionary<Address, long> _claimsBefore = new();
    private readonly IReadOnlySet<string> _voterAddresses;
    /// <summary>Entries dropped by <see cref="GossipCheck"/>, counted once per distinct value, by reason.</summary>
    private readonly Dictionary<GossipDrop, long> _gossipDrops = Enum.GetValues<GossipDrop>().ToDictionary(r => r, _ => 0L);
    /// <summary>The value last dropped per map key, so an entry that stays bad is counted and logged once.</summary>
    private readonly Dictionary<string, string> _droppedValues = new(StringComparer.Ordinal);
    private readonly ClusterTrust? _trust;
    private string? _lastPublishedJson;
    private bool _viewTold;
    private bool _mapWaitOver;
    private long _incarnation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <summary>Creates the guard.</summary>
    /// <param name="settings">Validated cluster settings (guard enabled).</param>
    /// <param name="listener">Receives <see cref="QuorumChanged"/> and <see cref="PeersChanged"/>.</param>
    public ClusterGuardActor(ClusterGuardSettings settings, IActorRef listener)
    {
        _settings = settings;
        _listener = listener;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        _replicator = DistributedData.Get(Context.System).Replicator;
        _view = QuorumView.NotJoined(settings.Voters.Count, settings.QuorumRequired);
        _availabilityDownAfter = Context.System.Settings.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after");
        _voterAddresses = settings.Voters.Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal);
        var trust = Context.System.Settings.Setup.Get<ClusterTrustSetup>();
        _trust = trust.HasValue ? trust.Value.Trust : null;
        Receive<ClusterEvent.CurrentClusterState>(Handle);
        Receive<ClusterEvent.IMemberEvent>(Handle);
        Receive<ClusterEvent.ReachabilityEvent>(Handle);
        Receive<Changed>(Handle);
        Receive<PublishLocalState>(Handle);
        Receive<WriteMaintenance>(Handle);
        Receive<ReadMaintenance>(_ => _replicator.Tell(Dsl.Get(MaintenanceKey, new ReadMajority(MaintenanceConsistencyTimeout))));
        Receive<GetSuccess>(m => m.Key.Equals(MaintenanceKey), m => Told(m.Get(MaintenanceKey).Value, first: true));
        Receive<NotFound>(m => m.Key.Equals(MaintenanceKey), _ => Told(null, first: true));
        // No majority answered in time (two voters, one gone): what this node holds is the best there is.
        Receive<GetFailure>(m => m.Key.Equals(MaintenanceKey), _ =>
        {
            _log.Warning("maintenance mode: no majority answered within {0} s; using this node's own copy", MaintenanceConsistencyTimeout.TotalSeconds);
            _replicator.Tell(Dsl.Get(MaintenanceKey, ReadLocal.Instance));
        });
        Receive<UpdateSuccess>(m => m.Key.Equals(MaintenanceKey), m => Answer(m.Request, new MaintenanceWritten(true, "")));
        Receive<IUpdateResponse>(m => m.Key.Equals(MaintenanceKey), m => Answer(m.Request,
            new MaintenanceWritten(false, $"not stored on a majority of the voters within {MaintenanceConsistencyTimeout.TotalSeconds:0} s ({m.GetType().Name}); nothing changed where it did not arrive, try again")));
        Receive<IUpdateResponse>(_ => { });
        Receive<GetGuardStatus>(_ => Sender.Tell(Status()));
        Receive<DownIfStillUnreachable>(Handle);
        Receive<RefreshMasterClaim>(_ => Publish(force: true));
        Receive<MapWaitOver>(_ =>
        {
            _mapWaitOver = true;
            RecomputePeers();
        });
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(ClusterGuardSettings settings, IActorRef listener) =>
        Akka.Actor.Props.Create<ClusterGuardActor>(settings, listener);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        _replicator.Tell(Dsl.Subscribe(PeersKey, Self));
        _replicator.Tell(Dsl.Subscribe(MaintenanceKey, Self));
        _log.Info($"cluster guard: {_cluster.SelfAddress}, voters {string.Join(", ", _settings.Voters)} " +
                  $"(majority {_settings.Majority}{(_settings.QuorumRequired ? "" : "; " + ClusterGuardSettings.AvailabilityModeName)}); {_view.Cause}");
        // The first view is told once the cluster's snapshot arrives (at once): a re-created guard must
        // not tell a "not joined" view first, or a master with quorum would step down for nothing.
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
    }

    private void Handle(ClusterEvent.CurrentClusterState s)
    {
        _members.Clear();
        _unreachable.Clear();
        foreach (var m in s.Members) _members[m.Address] = m;
        foreach (var m in s.Unreachable) _unreachable.Add(m.Address);
        Recompute();
    }

    private void Handle(ClusterEvent.IMemberEvent e)
    {
        if (e is ClusterEvent.MemberRemoved removed)
        {
            // A restarted node's new incarnation may already be listed at the same address.
            if (_members.TryGetValue(removed.Member.Address, out var listed) && !listed.UniqueAddress.Equals(removed.Member.UniqueAddress))
                return;
            _members.Remove(removed.Member.Address);
            _unreachable.Remove(removed.Member.Address);
            _claimsBefore.Remove(removed.Member.Address);
        }
        else
            _members[e.Member.Address] = e.Member;
        Recompute();
    }

    private void Handle(ClusterEvent.ReachabilityEvent e)
    {
        if (e is ClusterEvent.UnreachableMember)
        {
            _unreachable.Add(e.Member.Address);
            if (!_claimsBefore.ContainsKey(e.Member.Address))
                _claimsBefore[e.Member.Address] = EntryOf(e.Member)?.Incarnation ?? 0;
            if (!_settings.QuorumRequired)
                Timers.StartSingleTimer(("down", e.Member.Address), new DownIfStillUnreachable(e.Member.Address), _availabilityDownAfter);
        }
        else
        {
            _unreachable.Remove(e.Member.Address);
            if (EntryOf(e.Member) is { } entry && ClaimFromBeforeCut(entry, e.Member))
                _log.Info("peer {0}: reachable again; its MASTER claim from before the cut counts once it re-publishes", entry.Name);
            // Peers that lost us may hold our claim as stale: give them a newer one at once.
            Publish(force: true);
        }
        _members[e.Member.Address] = e.Member;
        Recompute();
    }

    private void Handle(DownIfStillUnreachable m)
    {
        if (!_unreachable.Contains(m.Address) || !IsJoined()) return;
        _log.Warning("downing {0}: unreachable for {1} s ({2})", m.Address, _availabilityDownAfter.TotalSeconds, ClusterGuardSettings.AvailabilityModeName);
        _cluster.Down(m.Address);
    }

    private void Handle(WriteMaintenance m)
    {
        var json = m.State.ToJson();
        var self = _cluster.SelfUniqueAddress;
        _replicator.Tell(Dsl.Update(MaintenanceKey, new LWWRegister<string>(self, ""), new WriteMajority(MaintenanceConsistencyTimeout), Sender,
            register => register.WithValue(self, json)));
    }

    private static void Answer(object? request, MaintenanceWritten result)
    {
        if (request is IActorRef replyTo) replyTo.Tell(result);
    }

    /// <summary>Tells the node the register's value: the first read after joining, then each change.</summary>
    private void Told(string? json, bool first)
    {
        if (first && _maintenanceRead) return;
        _maintenanceRead = true;
        var state = string.IsNullOrEmpty(json) ? null : MaintenanceState.FromJson(json);
        _listener.Tell(new MaintenanceChanged(state));
    }

    private void Handle(Changed c)
    {
        if (c.Key.Equals(MaintenanceKey))
        {
            // A change before the first read answered is newer than what the read would say.
            Told(c.Get(MaintenanceKey).Value, first: false);
            return;
        }
        if (!c.Key.Equals(PeersKey)) return;
        var map = c.Get(PeersKey);
        var parsed = new Dictionary<string, PeerState>();
        foreach (var (name, json) in map.Entries)
        {
            if (GossipCheck.Check(name, json, _voterAddresses, out var drop) is { } p)
            {
                parsed[name] = p;
                _droppedValues.Remove(name);
            }
            else if (drop is { } reason && !(_droppedValues.TryGetValue(name, out var was) && was == json))
                Dropped(name, json, reason);
        }
        _gossiped = parsed;
        RecomputePeers();
    }

    private void Dropped(string key, string json, GossipDrop reason)
    {
        // Bounded by the map's size; forgotten when the key gossips a good value.
        _droppedValues[key] = json;
        _gossipDrops[reason]++;
        _log.Warning("gossip: dropped the entry {0} ({1}): {2}; counted as gossip dropped {3}",
            Shorten(key), reason, Shorten(json), reason.ToString().ToLowerInvariant());
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "...";

    private void Handle(PublishLocalState m)
    {
        _local = m.State;
        if (_local.VrrpState == PeerVrrpState.Master)
        {
            if (!Timers.IsTimerActive(RefreshMasterClaim.Instance))
                Timers.StartPeriodicTimer(RefreshMasterClaim.Instance, RefreshMasterClaim.Instance, MasterClaimRefresh);
        }
        else Timers.Cancel(RefreshMasterClaim.Instance);
        Publish();
    }

    /// <param name="force">Publish a new incarnation even when the state is unchanged.</param>
    private void Publish(bool force = false)
    {
        if (_local is null || !IsJoined()) return;
        var json = (_local with { Incarnation = 0 }).ToJson();
        if (json == _lastPublishedJson && !force) return;
        _lastPublishedJson = json;
        var self = _cluster.SelfUniqueAddress;
        var state = _local with { Incarnation = ++_incarnation, ClusterUid = self.Uid };
        // WriteLocal: the replicator's gossip carries it (and the whole map to nodes that join
        // later) within gossip-interval, so nothing needs re-sending.
        _replicator.Tell(Dsl.Update(PeersKey, LWWDictionary<string, string>.Empty, WriteLocal.Instance,
            map => map.SetItem(self, state.Name, state.ToJson())));
    }

    private bool IsJoined() =>
        _members.TryGetValue(_cluster.SelfAddress, out var me) && me.Status is MemberStatus.Up or MemberStatus.WeaklyUp;

    private static bool Usable(Member m) => m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up;

    private void Recompute()
    {
        var joined = IsJoined();
        var views = _members.Values.Select(m => new MemberView(m.Address, Usable(m), !_unreachable.Contains(m.Address)));
        var view = QuorumPolicy.Decide(_settings.Voters, _settings.QuorumRequired, joined, views);
        if (!_viewTold || view.HasQuorum != _view.HasQuorum || view.ReachableVoters != _view.ReachableVoters)
        {
            _viewTold = true;
            var verb = view.HasQuorum == _view.HasQuorum ? "quorum view" : view.HasQuorum ? "quorum gained" : "quorum LOST";
            if (view.HasQuorum) _log.Info("{0}: {1}", verb, view.Cause);
            else _log.Warning("{0}: {1}", verb, view.Cause);
            _view = view;
            _listener.Tell(new QuorumChanged(view));
        }
        else
            _view = view;
        if (joined && _lastPublishedJson is null) Publish();
        if (joined && !_maintenanceAsked)
        {
            // Before this node may take over, it must know whether the set is paused: ask a majority once.
            _maintenanceAsked = true;
            Self.Tell(ReadMaintenance.Instance);
        }
        if (joined && !_mapWaitOver && !Timers.IsTimerActive(MapWaitOver.Instance))
            Timers.StartSingleTimer(MapWaitOver.Instance, MapWaitOver.Instance, GossipCurrency.MapWait);
        RecomputePeers();
    }

    /// <summary>The gossiped entry matching <paramref name="m"/>'s address, if any.</summary>
    private PeerState? EntryOf(Member m)
    {
        var address = m.Address.ToString();
        return _gossiped.Values.FirstOrDefault(p => p.ClusterAddress == address);
    }

    /// <summary>A MASTER claim made before the member's last cut, now that it is reachable again: not live until
    /// it re-publishes. Anything newer (even relayed by a third node during the cut) counts.</summary>
    private bool ClaimFromBeforeCut(PeerState p, Member m) =>
        p.VrrpState == PeerVrrpState.Master && _claimsBefore.TryGetValue(m.Address, out var before) && p.Incarnation <= before;

    private void RecomputePeers()
    {
        var self = _cluster.SelfAddress.ToString();
        var byAddress = _members.Values.ToDictionary(m => m.Address.ToString());
        var listed = _gossiped.Values.Where(p => p.ClusterAddress != self && byAddress.ContainsKey(p.ClusterAddress)).ToArray();
        // A member whose entry its previous incarnation wrote is left out, as before it joined, until it publishes.
        var previous = listed.Where(p => !p.IsFrom(byAddress[p.ClusterAddress].UniqueAddress.Uid)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in previous.Except(_previousIncarnation))
            _log.Info("peer {0}: ignoring the state its previous incarnation gossiped until the restarted node publishes its own", name);
        _previousIncarnation = previous;
        foreach (var p in listed)
            if (_claimsBefore.TryGetValue(byAddress[p.ClusterAddress].Address, out var before) && p.Incarnation > before
                && !_unreachable.Contains(byAddress[p.ClusterAddress].Address))
            {
                _claimsBefore.Remove(byAddress[p.ClusterAddress].Address);
                _log.Info("peer {0}: re-published after reachability returned ({1})", p.Name, p.VrrpState.ToString().ToUpperInvariant());
            }
        var peers = listed.Where(p => !previous.Contains(p.Name))
            .Select(p => new PeerView(p, Usable(byAddress[p.ClusterAddress]) && !_unreachable.Contains(byAddress[p.ClusterAddress].Address)
                && !ClaimFromBeforeCut(p, byAddress[p.ClusterAddress])))
            .OrderBy(p => p.State.Name, StringComparer.Ordinal)
            .ToArray();
        var members = _members.Values.Select(m => new GossipCurrency.Member(m.Address.ToString(), m.UniqueAddress.Uid, Usable(m),
            !_unreachable.Contains(m.Address))).ToArray();
        var pending = GossipCurrency.Pending(members, _gossiped.Values, self, _mapWaitOver);
        var remembered = GossipCurrency.Remembered(members, _gossiped.Values, self);
        if (peers.SequenceEqual(_peers) && pending.SequenceEqual(_pending) && remembered.SequenceEqual(_remembered)) return;
        _peers = peers;
        _pending = pending;
        _remembered = remembered;
        _listener.Tell(new PeersChanged(peers, pending, remembered));
    }

    private GuardStatus Status() => new(true, _view, _cluster.SelfAddress.ToString(),
        _members.Values.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => $"{m.Address} {m.Status.ToString().ToLowerInvariant()}{(_unreachable.Contains(m.Address) ? " unreachable" : "")}")
            .ToArray(),
        _peers, new Dictionary<GossipDrop, long>(_gossipDrops), _trust?.Refused, _trust?.HandshakesFailed);
}
