using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using RedisHaActors.Configuration;

namespace RedisHaActors.Cluster;

/// <summary>
/// Gets this node into the cluster. Starts Akka's seed-node join towards the other voters (it
/// joins any of them that is already a member, retrying), and while the node is not a member,
/// probes the voters' cluster ports every second and forms a new cluster when
/// <see cref="ClusterFormation"/> says so. Akka.Management's Cluster Bootstrap would be the
/// library route, but the version served here (1.5.73) fails at start (its HTTP server
/// dependency Ceen.Httpd 0.9.9 is not served and 0.9.10 lacks the method it calls).
/// </summary>
public sealed class ClusterFormationActor : ReceiveActor
{
    private sealed record ProbeDue
    {
        public static ProbeDue Instance { get; } = new();
    }

    private sealed record ProbeResult(IReadOnlyList<Address> Alive);

    /// <summary>
    /// Wait before the first formation probe: time for an existing cluster to take this node in. A node
    /// restarted on the same address joins only after the leader has removed its previous incarnation
    /// (about 1.5 s) and Akka retried the join (retry-unsuccessful-join-after, 2 s); probing after 2 s, a
    /// restarted lowest-addressed voter saw every voter alive, was not yet a member and formed an island
    /// of its own (lab: StaleGossipLabTests, 3 of 9 runs). 6 s covers both with margin; only the very
    /// first start of a whole set waits that long for its cluster.
    /// </summary>
    public static readonly TimeSpan FirstProbeAfter = TimeSpan.FromSeconds(6);

    /// <summary>Probe period while not a member.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for one voter's port to accept a connection.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);

    private readonly ClusterGuardSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster;
    private ICancelable? _timer;
    private bool _probing;
    private string? _lastReason;

    /// <summary>Creates the actor.</summary>
    /// <param name="settings">Validated cluster settings (guard enabled).</param>
    public ClusterFormationActor(ClusterGuardSettings settings)
    {
        _settings = settings;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        Receive<ProbeDue>(_ => Probe());
        Receive<ProbeResult>(Handle);
    }

    /// <summary>Props for this actor.</summary>
    public static Props Props(ClusterGuardSettings settings) => Akka.Actor.Props.Create<ClusterFormationActor>(settings);

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = _cluster.SelfAddress;
        var others = _settings.Voters.Where(v => !v.Equals(self)).ToList();
        if (others.Count == 0)
        {
            _cluster.Join(self);
            return;
        }
        // Self last: Akka's first-seed process (self first) would form a cluster alone after a timeout.
        if (_settings.Voters.Contains(self)) others.Add(self);
        _cluster.JoinSeedNodes(others);
        _timer = Context.System.Scheduler.ScheduleTellRepeatedlyCancelable(FirstProbeAfter, ProbeInterval, Self, ProbeDue.Instance, Self);
    }

    /// <inheritdoc />
    protected override void PostStop() => _timer?.Cancel();

    private bool IsMember() => _cluster.SelfMember.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp
        or Akka.Cluster.MemberStatus.Joining or Akka.Cluster.MemberStatus.Leaving;

    private void Probe()
    {
        if (IsMember())
        {
            _timer?.Cancel();
            return;
        }
        if (_probing) return;
        _probing = true;
        var self = _cluster.SelfAddress;
        ProbeAllAsync(_settings.Voters, self).PipeTo(Self, failure: _ => new ProbeResult([]));
    }

    private static async Task<ProbeResult> ProbeAllAsync(IReadOnlyList<Address> voters, Address self)
    {
        var checks = voters.Select(async v => v.Equals(self) || await AcceptsAsync(v).ConfigureAwait(false) ? v : null).ToArray();
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        return new ProbeResult(results.Where(a => a is not null).Select(a => a!).ToArray());
    }

    private static async Task<bool> AcceptsAsync(Address address)
    {
        using var cts = new CancellationTokenSource(ConnectTimeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address.Host!, address.Port ?? 0, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Handle(ProbeResult m)
    {
        _probing = false;
        if (IsMember()) return;
        var decision = ClusterFormation.Decide(_settings.Voters, _cluster.SelfAddress, m.Alive);
        if (decision.Reason != _lastReason) _log.Info("cluster formation: {0}", decision.Reason);
        _lastReason = decision.Reason;
        if (!decision.Form) return;
        _cluster.Join(_cluster.SelfAddress);
    }
}
