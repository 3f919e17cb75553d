using System.Net;
using RedisHaActors.Configuration;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Vrrp;

/// <summary>Holds one <see cref="VrrpStateMachine"/> and its state, and applies events in order.</summary>
public sealed class VrrpDriver
{
    public VrrpDriver(VrrpSettings settings, IPAddress? primary = null, bool guarded = false)
    {
        Settings = settings;
        Machine = new VrrpStateMachine(settings, primary ?? TestPackets.Node2);
        State = VrrpInstanceState.Initial(settings.Priority, settings.AdvertIntervalCentiseconds, guarded);
    }

    public IReadOnlyList<VrrpAction> Quorum(TimeSpan now, bool hasQuorum, string cause = "quorum") =>
        Apply(new QuorumVerdict(hasQuorum, cause), now);

    public IReadOnlyList<VrrpAction> ClusterMasters(TimeSpan now, params ClusterMaster[] masters) =>
        Apply(new ClusterMastersSeen(masters), now);

    public VrrpSettings Settings { get; }
    public VrrpStateMachine Machine { get; }
    public VrrpInstanceState State { get; private set; }

    public IReadOnlyList<VrrpAction> Apply(VrrpEvent e, TimeSpan now)
    {
        var t = Machine.Handle(State, e, now);
        State = t.State;
        return t.Actions;
    }

    public IReadOnlyList<VrrpAction> Startup(TimeSpan now) => Apply(new Startup(), now);

    public IReadOnlyList<VrrpAction> Timer(TimeSpan now) => Apply(new TimerElapsed(), now);

    public IReadOnlyList<VrrpAction> Health(TimeSpan now, bool eligible, byte? priority = null, string cause = "redis check") =>
        Apply(new HealthChanged(priority ?? State.Priority, eligible, cause), now);

    public IReadOnlyList<VrrpAction> Advert(TimeSpan now, byte priority, IPAddress? source = null, ushort? intervalCs = null) =>
        Apply(new AdvertisementReceived(Packet(priority, source ?? TestPackets.Node1, intervalCs ?? Settings.AdvertIntervalCentiseconds)), now);

    public static ReceivedAdvertisement Packet(byte priority, IPAddress source, ushort intervalCs) =>
        new(source, VrrpCodec.MulticastGroup, 255, new VrrpAdvertisement(3, 51, priority, intervalCs, [TestPackets.Vip]));

    /// <summary>Startup, then the first passing Redis check: an eligible BACKUP listening for a master.</summary>
    public VrrpDriver EligibleBackup(TimeSpan at)
    {
        Startup(at);
        Health(at, eligible: true);
        return this;
    }

    /// <summary>Eligible backup that hears no master and takes over at its deadline; returns the takeover time.</summary>
    public TimeSpan BecomeMaster(TimeSpan at)
    {
        EligibleBackup(at);
        var deadline = State.MasterDownTimer ?? throw new InvalidOperationException("no Master_Down_Timer armed");
        Timer(deadline);
        if (State.State != VrrpState.Master) throw new InvalidOperationException("did not become master");
        return deadline;
    }
}

public static class Ms
{
    public static TimeSpan At(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
