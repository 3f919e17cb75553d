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

    /// <summary>The split-brain resolver's <c>stable-after</c> (cluster.conf): with two voters in
    /// availability mode (no resolver there) the guard downs an unreachable peer itself after as long.</summary>
    private readonly TimeSpan _availabilityDownAfter;

    private static readonly LWWDictionaryKey<string, string> PeersKey = new("redis-ha-peers");

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
    private PeerState? _local;
    private IReadOnlySet<string> _previousIncarnation = new HashSet<string>();
    private string? _lastPublishedJson;
    private bool _viewTold;
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
        Receive<ClusterEvent.CurrentClusterState>(Handle);
        Receive<ClusterEvent.IMemberEvent>(Handle);
        Receive<ClusterEvent.ReachabilityEvent>(Handle);
        Receive<Changed>(Handle);
        Receive<PublishLocalState>(Handle);
        Receive<IUpdateResponse>(_ => { });
        Receive<GetGuardStatus>(_ => Sender.Tell(Status()));
        Receive<DownIfStillUnreachable>(Handle);
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
            if (!_settings.QuorumRequired)
                Timers.StartSingleTimer(("down", e.Member.Address), new DownIfStillUnreachable(e.Member.Address), _availabilityDownAfter);
        }
        else _unreachable.Remove(e.Member.Address);
        _members[e.Member.Address] = e.Member;
        Recompute();
    }

    private void Handle(DownIfStillUnreachable m)
    {
        if (!_unreachable.Contains(m.Address) || !IsJoined()) return;
        _log.Warning("downing {0}: unreachable for {1} s ({2})", m.Address, _availabilityDownAfter.TotalSeconds, ClusterGuardSettings.AvailabilityModeName);
        _cluster.Down(m.Address);
    }

    private void Handle(Changed c)
    {
        if (!c.Key.Equals(PeersKey)) return;
        var map = c.Get(PeersKey);
        var parsed = new Dictionary<string, PeerState>();
        foreach (var (name, json) in map.Entries)
            if (PeerState.FromJson(json) is { } p) parsed[name] = p;
        _gossiped = parsed;
        RecomputePeers();
    }

    private void Handle(PublishLocalState m)
    {
        _local = m.State;
        Publish();
    }

    private void Publish()
    {
        if (_local is null || !IsJoined()) return;
        var json = (_local with { Incarnation = 0 }).ToJson();
        if (json == _lastPublishedJson) return;
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
        RecomputePeers();
    }

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
        var peers = listed.Where(p => !previous.Contains(p.Name))
            .Select(p => new PeerView(p, Usable(byAddress[p.ClusterAddress]) && !_unreachable.Contains(byAddress[p.ClusterAddress].Address)))
            .OrderBy(p => p.State.Name, StringComparer.Ordinal)
            .ToArray();
        if (peers.SequenceEqual(_peers)) return;
        _peers = peers;
        _listener.Tell(new PeersChanged(peers));
    }

    private GuardStatus Status() => new(true, _view, _cluster.SelfAddress.ToString(),
        _members.Values.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => $"{m.Address} {m.Status.ToString().ToLowerInvariant()}{(_unreachable.Contains(m.Address) ? " unreachable" : "")}")
            .ToArray(),
        _peers);
}
