using RedisHaActors.Primitives;
using System.Net;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Vrrp;

/// <summary>
/// Executes <see cref="VrrpStateMachine"/>: feeds it received adverts, health changes, timer
/// deadlines and failed VIP operations, and carries out its actions (send adverts, VIP lease, state
/// notifications). Follows the interface from the transport's netlink reports (<see cref="InterfaceFollow"/>
/// decides: FAULT, re-bind, back to BACKUP). Everything from other threads (datagrams, interface
/// reports, VIP failures, timers) arrives as a message to itself.
/// Timers run on <see cref="PreciseTimer"/>, not Akka's scheduler, so a 200 ms advert interval
/// keeps millisecond precision.
/// </summary>
public sealed class VrrpActor : ReceiveActor
{
    private sealed record DatagramReceived(byte[] Data);

    private sealed record DeadlineReached
    {
        public static DeadlineReached Instance { get; } = new();
    }

    private sealed record InterfaceReported(InterfaceState State);

    private VrrpSettings _settings;
    private readonly Func<IVrrpTransport> _openTransport;
    private readonly Func<IVirtualAddresses> _createVirtualAddresses;
    private readonly IActorRef _listener;
    private readonly IMonotonicClock _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<DropReason, long> _drops = new();
    private IVrrpTransport? _transport;
    private IVirtualAddresses? _vips;
    private VrrpStateMachine? _machine;
    private VrrpInstanceState _state;
    private PreciseTimer? _timer;
    private readonly VrrpWireOptions _wire;
    private readonly IReadOnlyList<IPAddress> _destinations;
    private readonly IReadOnlyList<IPAddress> _addresses;
    // At most once a minute per source; the tables are bounded, so a flood of forged sources cannot grow them (beyond
    // MaxWarnedSources recent sources, further ones are only counted).
    private readonly LogGate<IPAddress> _addressWarnings = new(TimeSpan.FromMinutes(1), MaxWarnedSources);
    private readonly LogGate<IPAddress> _sourceWarnings = new(TimeSpan.FromMinutes(1), MaxWarnedSources);
    private AdvertSources _sources;
    private long _advertsSent;
    private long _sendFailures;
    private long _vipFailures;
    private readonly Dictionary<VrrpState, long> _transitions = new();
    private VrrpStateChange? _lastTransition;
    private string? _ineligibleCause;

    /// <summary>Creates the actor; I/O is opened in <see cref="PreStart"/>.</summary>
    /// <param name="settings">VRRP settings.</param>
    /// <param name="openTransport">Opens the VRRP socket.</param>
    /// <param name="createVirtualAddresses">Creates the VIP lease manager.</param>
    /// <param name="listener">Receives <see cref="VrrpStatusChanged"/> and <see cref="VrrpMasterChanged"/>.</param>
    /// <param name="clock">Monotonic time.</param>
    /// <param name="guarded">A cluster guard runs: no MASTER until its first <see cref="QuorumVerdict"/> grants quorum.</param>
    /// <param name="startPaused">This node held the VIP in maintenance mode before it restarted (the VIP is on the interface with
    /// no expiry): it starts paused and keeps it (<see cref="MaintenanceVerdict"/>).</param>
    public VrrpActor(VrrpSettings settings, Func<IVrrpTransport> openTransport, Func<IVirtualAddresses> createVirtualAddresses,
        IActorRef listener, IMonotonicClock clock, bool guarded, bool startPaused)
    {
        _settings = settings;
        _openTransport = openTransport;
        _createVirtualAddresses = createVirtualAddresses;
        _listener = listener;
        _clock = clock;
        _state = VrrpInstanceState.Initial(settings.Priority, settings.AdvertIntervalCentiseconds, guarded) with { Paused = startPaused };
        _wire = VrrpWireOptions.From(settings);
        _destinations = settings.Peers.Count > 0 ? settings.Peers : [VrrpCodec.MulticastGroup];
        _addresses = settings.VirtualAddresses.Select(v => v.Address).ToArray();
        _sources = AdvertSources.Initial(settings, guarded);
        Receive<DatagramReceived>(Handle);
        Receive<AdvertSourcesChanged>(Handle);
        Receive<DeadlineReached>(_ => Apply(new TimerElapsed()));
        Receive<HealthChanged>(h =>
        {
            // Kept for status: a node held back says why there too, not only in its log.
            _ineligibleCause = h.Eligible ? null : h.Cause;
            Apply(h);
        });
        Receive<QuorumVerdict>(Apply);
        Receive<ClusterMastersSeen>(Apply);
        Receive<ClusterMasterGone>(Apply);
        Receive<MaintenanceVerdict>(Apply);
        Receive<VirtualAddressesFailed>(Handle);
        Receive<InterfaceReported>(Handle);
        Receive<GetVrrpStatus>(Handle);
        Receive<VrrpSettingsChanged>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(VrrpSettings settings, Func<IVrrpTransport> openTransport, Func<IVirtualAddresses> createVirtualAddresses,
        IActorRef listener, IMonotonicClock clock, bool guarded = false, bool startPaused = false) =>
        Akka.Actor.Props.Create<VrrpActor>(settings, openTransport, createVirtualAddresses, listener, clock, guarded, startPaused);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _transport = _openTransport();
        _vips = _createVirtualAddresses();
        _machine = NewMachine();
        var self = Self;
        try
        {
            _timer = new PreciseTimer(() => self.Tell(DeadlineReached.Instance), "vrrp-timer");
            // Reported on the VIP worker's thread: only a message crosses over.
            _vips.Start(failed => self.Tell(failed));
            // Startup waits for the first interface report (at once from the watch): a node whose
            // interface has no address yet goes to FAULT before it could ever take over.
            _transport.Start(data => self.Tell(new DatagramReceived(data)), state => self.Tell(new InterfaceReported(state)));
            _log.Info($"VRRP v{_settings.Version} vrid {_settings.VirtualRouterId} on {_settings.Interface} from {_transport.PrimaryAddress?.ToString() ?? "(no address yet)"} " +
                      $"to {string.Join(",", _destinations)}, " +
                      $"priority {_settings.Priority}, advert {_settings.AdvertInterval.TotalMilliseconds} ms, preempt {(_settings.Preempt ? "on" : "off")}");
            if (!_sources.Filtered)
                _log.Warning("VRRP advert sources are not filtered (multicast, cluster guard off): any host on the link can send an advert " +
                             "that moves the VIP; set redis-ha.vrrp.unicast-peers or akka.cluster.seed-nodes (the guard) so only peers are heard");
        }
        catch
        {
            // A failed start gets no PostStop, and a timer's thread would outlive the actor, still
            // telling the restarted one; so release everything here before the supervisor restarts us.
            ReleaseResources();
            throw;
        }
        WarmTakeoverPath();
    }

    private void ReleaseResources()
    {
        _timer?.Dispose();
        _vips?.Dispose();
        _transport?.Dispose();
        (_timer, _vips, _transport, _machine) = (null, null, null, null);
    }

    /// <summary>
    /// Runs the pure BACKUP -> MASTER decision and encodes an advert once, results discarded, so the
    /// first takeover does not wait for the JIT: cold, the decision alone took 2 ms (its cause
    /// string included), and the first advert as master left 2 ms later than keepalived's
    /// (bench/takeover.sh).
    /// </summary>
    private void WarmTakeoverPath()
    {
        try
        {
            WarmTakeoverPathCore();
        }
        catch (Exception e)
        {
            // Only a head start for the first takeover; never a reason not to run.
            _log.Warning("could not warm the takeover path (the first takeover may be a few ms later): {0}", e.Message);
        }
    }

    private void WarmTakeoverPathCore()
    {
        // As after a master fell silent, so the cause (naming the master and the silence) is formatted too.
        var silentMaster = _state with
        {
            State = VrrpState.Backup,
            Eligible = true,
            Quorum = true,
            MasterDownTimer = TimeSpan.Zero,
            MasterAddress = new IPAddress(Source.GetAddressBytes()),
            LastAdvertAt = TimeSpan.Zero,
        };
        _ = _machine!.Handle(silentMaster, new TimerElapsed(), TimeSpan.FromSeconds(1));
        foreach (var destination in _destinations)
            _ = VrrpCodec.Encode(_machine.Advertisement(_settings.Priority), Source, destination, _settings.Auth);
    }

    /// <summary>The advert source for the machine's tie-break; a placeholder while unbound (FAULT, never MASTER).</summary>
    private IPAddress Source => _transport?.PrimaryAddress ?? IPAddress.Any;

    private VrrpStateMachine NewMachine() => new(_settings, Source);

    private void Handle(InterfaceReported m)
    {
        if (_state.State == VrrpState.Initialize) Apply(new Startup());
        var step = InterfaceFollow.Decide(_transport!.InterfaceIndex, _transport.PrimaryAddress, _state.State != VrrpState.Fault, m.State);
        if (step.Fault is { } fault) Apply(new LinkChanged(false, fault));
        if (step.Unbind) _transport.Unbind();
        if (step.Bind)
        {
            try
            {
                _transport.Bind(m.State);
            }
            catch (VrrpSocketException e)
            {
                // Stays in FAULT; the next change of the interface tries again.
                _log.Error("cannot re-open the VRRP socket on {0}: {1}", _settings.Interface, e.Message);
                if (_state.State != VrrpState.Fault) Apply(new LinkChanged(false, e.Message));
                return;
            }
            // A new advert source: the machine's tie-break address follows it (its state carries over).
            _machine = NewMachine();
            _log.Info("VRRP socket bound to {0} (index {1}) from {2}", _settings.Interface, _transport.InterfaceIndex, _transport.PrimaryAddress);
        }
        if (step.Up is { } up) Apply(new LinkChanged(true, up));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Timers first, so nothing fires into the stopping actor during the shutdown advert and flush.
        _timer?.Dispose();
        if (_machine is not null)
            Apply(new Shutdown());
        _vips?.Flush(TimeSpan.FromSeconds(3));
        ReleaseResources();
    }

    private void Handle(VrrpSettingsChanged m)
    {
        // Only runtime keys differ (ReloadPlan): the machine holds no state of its own, so a new one
        // with the new preempt and GARP keys carries on from the same instance state, no transition.
        // A new priority arrives as the monitor's next health verdict and is simply advertised.
        _settings = m.Settings;
        if (_machine is not null) _machine = NewMachine();
        _vips?.Reconfigure(m.Settings);
        _log.Info("VRRP settings reloaded: priority {0}, preempt {1}, preempt-delay {2} s (state {3} unchanged)",
            m.Settings.Priority, m.Settings.Preempt ? "on" : "off", m.Settings.PreemptDelay.TotalSeconds, Name(_state.State));
    }

    private void Handle(GetVrrpStatus _) =>
        Sender.Tell(new VrrpStatus(_state.State, _state.Priority, _state.CanTakeOver, _state.MasterAddress,
            _advertsSent, new Dictionary<DropReason, long>(_drops), _lastTransition, new Dictionary<VrrpState, long>(_transitions), _vipFailures,
            _machine?.MasterHeardAgo(_state, _clock.Now), _ineligibleCause));

    private void Handle(VirtualAddressesFailed m)
    {
        // The worker logged the error; the machine decides what it means for the state.
        _vipFailures++;
        Apply(m);
    }

    private void Handle(DatagramReceived m)
    {
        var result = VrrpCodec.Decode(m.Data, _wire);
        if (result.Packet is { } packet)
        {
            if (packet.Source.Equals(_transport!.PrimaryAddress))
                result = new DecodeResult(null, DropReason.OwnAdvert);
            else if (!_sources.Accepts(packet.Source))
            {
                WarnUnknownSource(packet);
                result = new DecodeResult(null, DropReason.UnknownSource);
            }
            else if (!_settings.SkipCheckAdvertAddresses && !VrrpCodec.AddressListMatches(packet.Advertisement, _addresses))
            {
                WarnAddressList(packet);
                result = new DecodeResult(null, DropReason.AddressList);
            }
        }
        if (result.Drop is { } reason)
        {
            _drops[reason] = _drops.GetValueOrDefault(reason) + 1;
            // Log the first of each kind; the counters carry the rest.
            if (_drops[reason] == 1 && reason is not (DropReason.OwnAdvert or DropReason.AddressList or DropReason.UnknownSource))
                _log.Warning("dropped a VRRP packet: {0} (further drops of this kind are only counted)", reason);
            return;
        }
        Apply(new AdvertisementReceived(result.Packet!));
    }

    private void Handle(AdvertSourcesChanged m)
    {
        if (m.Sources.Equals(_sources)) return;
        _sources = m.Sources;
        _log.Info("accepting VRRP adverts from {0}", _sources);
    }

    private void WarnUnknownSource(ReceivedAdvertisement packet)
    {
        // Not a configured or gossiped peer: a spoofer, or a peer whose address is not known yet.
        if (!_sourceWarnings.Due(packet.Source, _clock.Now)) return;
        _log.Warning($"dropping VRRP adverts from {packet.Source} (vrid {_settings.VirtualRouterId}, priority {packet.Advertisement.Priority}): " +
                     $"not a known peer (accepting {_sources}); counted as unknown_source, logged once a minute per source");
    }

    /// <summary>Sources remembered for the once-a-minute warnings, per kind.</summary>
    private const int MaxWarnedSources = 64;

    private void WarnAddressList(ReceivedAdvertisement packet)
    {
        // Another router on our VRID, or a peer with a different VIP list: both would run as
        // masters side by side, so say so loudly, but at most once a minute per source.
        if (!_addressWarnings.Due(packet.Source, _clock.Now)) return;
        _log.Warning($"dropping adverts from {packet.Source} (vrid {_settings.VirtualRouterId}, priority {packet.Advertisement.Priority}): " +
                     $"their addresses [{string.Join(", ", packet.Advertisement.Addresses)}] differ from ours [{string.Join(", ", _addresses)}]; " +
                     "fix the VIP lists or set redis-ha.vrrp.skip-check-adv-addr = on");
    }

    private void Apply(VrrpEvent e)
    {
        var now = _clock.Now;
        var transition = _machine!.Handle(_state, e, now);
        _state = transition.State;
        foreach (var action in transition.Actions)
            Execute(action);
        if (_machine.NextDeadline(_state) is { } deadline)
            _timer?.Arm(deadline - _clock.Now);
        else
            _timer?.Disarm();
    }

    private void Execute(VrrpAction action)
    {
        switch (action)
        {
            case SendAdvertisement send:
                var advert = _machine!.Advertisement(send.Priority);
                foreach (var destination in _destinations)
                {
                    // Unbound (the interface is gone): counted as a failed send, the FAULT entry's goodbye included.
                    if (_transport!.PrimaryAddress is not { } source)
                    {
                        _sendFailures++;
                        break;
                    }
                    // v3's checksum covers the destination, so each unicast peer gets its own encoding.
                    var message = VrrpCodec.Encode(advert, source, destination, _settings.Auth);
                    if (_transport.Send(message, destination))
                        _advertsSent++;
                    else if (++_sendFailures == 1 || _sendFailures % 100 == 0)
                        _log.Warning("cannot send VRRP advert to {0} on {1} ({2} failures so far)", destination, _settings.Interface, _sendFailures);
                }
                break;
            case AnnounceVirtualAddresses:
                _vips!.Announce();
                break;
            case AcquireVirtualAddresses:
                _vips!.KeepWithoutExpiry(_state.Paused);
                _vips.Acquire();
                if (_machine!.LeaseOf(_state) is { } lease) _listener.Tell(new VrrpLeaseRenewed(lease));
                break;
            case RenewVirtualAddresses:
                _vips!.KeepWithoutExpiry(_state.Paused);
                _vips.Renew();
                if (_machine!.LeaseOf(_state) is { } renewed) _listener.Tell(new VrrpLeaseRenewed(renewed));
                break;
            case ReleaseVirtualAddresses:
                _vips!.Release();
                break;
            case StateChanged changed:
                _log.Info("{0} -> {1}: {2}", Name(changed.From), Name(changed.To), changed.Cause);
                // Wall-clock time: the status shows it to people, not to the state machine.
                _lastTransition = new VrrpStateChange(changed.From, changed.To, changed.Cause, DateTimeOffset.UtcNow);
                _transitions[changed.To] = _transitions.GetValueOrDefault(changed.To) + 1;
                _listener.Tell(new VrrpStatusChanged(changed.To, changed.Master, changed.PreviousMaster, changed.Cause, changed.PreviousMasterAlive, changed.PreviousMasterSilentFor));
                break;
            case Warn warn:
                _log.Warning(warn.Message);
                break;
            case ProbeSilentMaster probe:
                _listener.Tell(new VrrpMasterSilent(probe.Master));
                break;
            case MasterChanged master:
                _log.Info("following master {0}", master.Master);
                _listener.Tell(new VrrpMasterChanged(master.Master));
                break;
        }
    }

    private static string Name(VrrpState s) => s.ToString().ToUpperInvariant();
}
