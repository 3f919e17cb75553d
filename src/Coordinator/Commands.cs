using RedisHaActors.Primitives;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using RedisHaActors.Configuration;
using RedisHaActors.Coordinator.Logging;
using RedisHaActors.Coordinator.Systemd;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Coordinator;

/// <summary>The command handlers. Exit codes: 0 ok, 2 bad configuration, 3 the host cannot run the node.</summary>
internal static class Commands
{
    public const int ExitBadConfig = 2;
    public const int ExitEnvironment = 3;

    // Part of every cluster address (akka.tcp://redis-ha@host:port): all nodes must agree on it.
    private const string ActorSystemName = "redis-ha";

    // The VRRP timers do not use Akka's scheduler, so a coarse tick only saves idle CPU.
    private const string AkkaConfig = """
        akka {
          loglevel = {level}
          stdout-loglevel = WARNING
          scheduler.tick-duration = 100ms
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """;

    public static int CheckConfig(FileInfo file)
    {
        try
        {
            var settings = HaSettings.Load(file.FullName);
            Console.WriteLine($"{file.FullName}: ok");
            Console.WriteLine(settings.Summary());
            foreach (var warning in settings.ConfigWarnings)
                Console.Error.WriteLine($"redis-ha: warning: {warning}");
            return 0;
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"redis-ha: {e.Message}");
            return ExitBadConfig;
        }
    }

    public static async Task<int> RunAsync(FileInfo file, CancellationToken ct)
    {
        HaSettings settings;
        try
        {
            settings = HaSettings.Load(file.FullName);
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"redis-ha: {e.Message}");
            return ExitBadConfig;
        }

        var witness = settings.Node.Role == NodeRole.Witness;
        IPAddress? primary = null;
        var startPaused = false;
        if (!witness)
        {
            var vips = settings.Vrrp.VirtualAddresses.Select(v => v.Address).ToArray();
            InterfaceState iface;
            try
            {
                iface = RawVrrpSocket.Read(settings.Vrrp.Interface, vips);
                // Fail here, with one line, rather than in a restart loop inside the actor.
                RawVrrpSocket.Open(settings.Vrrp.Interface, vips).Dispose();
            }
            catch (VrrpSocketException e)
            {
                Console.Error.WriteLine($"redis-ha: {e.Message}");
                return ExitEnvironment;
            }
            // A paused master's VIP (no expiry) outlives its process: this node keeps it (maintenance mode).
            startPaused = settings.Cluster.Enabled && HeldWithoutExpiry(settings.Vrrp);
            if (!startPaused && VipPermissionProblem(settings.Vrrp) is { } vipProblem)
            {
                Console.Error.WriteLine($"redis-ha: {vipProblem}");
                return ExitEnvironment;
            }
            primary = iface.Primary;
            if (primary is null && settings.Redis.AnnounceHost.Length == 0)
            {
                // Peers reach our Redis at the interface address, fixed when the node starts: wait for it.
                var ready = await StartupWait.UntilAsync(() => AddressProblem(settings.Vrrp.Interface, vips, ref primary),
                    $"an IPv4 address on {settings.Vrrp.Interface} (or set redis-ha.redis.announce-host to start at once, VRRP in FAULT)", ct).ConfigureAwait(false);
                if (!ready) return 0;
            }
            else if (!iface.Usable)
            {
                // Not an exit: VRRP waits in FAULT and follows the interface's netlink events.
                var hint = iface.Index is null ? " (check redis-ha.vrrp.interface unless it is a VLAN or bond created later)" : "";
                Console.Error.WriteLine($"redis-ha: warning: {iface.Describe()}: VRRP stays in FAULT until it is up with an IPv4 address{hint}");
            }
        }
        if (settings.Cluster.Enabled)
        {
            // A name not in DNS yet, or an address not on this host yet, passes by itself: wait.
            var ready = await StartupWait.UntilAsync(() => ClusterAddressProblem(settings.Cluster) is { Passes: true } p ? p.Problem : null,
                $"the cluster address {settings.Cluster.Hostname}:{settings.Cluster.Port}", ct).ConfigureAwait(false);
            if (!ready) return 0;
            if (ClusterAddressProblem(settings.Cluster) is { } problem)
            {
                // Without the guard the node must never become MASTER; say why once instead of a stack trace.
                Console.Error.WriteLine($"redis-ha: {problem.Problem}; the node does not start (it would never be eligible for MASTER)");
                return ExitEnvironment;
            }
        }
        var announceHost = settings.Redis.AnnounceHost.Length > 0 ? settings.Redis.AnnounceHost : primary?.ToString() ?? "";
        foreach (var warning in settings.ConfigWarnings)
            Console.Error.WriteLine($"redis-ha: warning: {warning}");

        // VRRP timers fire on the thread pool; never let a burst of blocking work make them wait
        // for the pool's slow thread injection (about 0.5 s per thread).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), io);

        // A node downed by the cluster's split-brain resolver stops its actor system (VIP released,
        // Redis fenced on the way out) and starts a new one in-process, which rejoins: a host is
        // never left without its coordinator.
        for (var incarnation = 1; ; incarnation++)
        {
            CoordinatedShutdown.Reason? reason;
            try
            {
                reason = await RunOnceAsync(settings, file, primary, announceHost, startPaused, ct).ConfigureAwait(false);
                // A later incarnation (after a downing) finds the VIP itself if it is still there with no expiry.
                startPaused = !witness && settings.Cluster.Enabled && HeldWithoutExpiry(settings.Vrrp);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Remoting or the cluster failed to start (the port was taken after the check above, ...).
                Console.Error.WriteLine($"redis-ha: the actor system failed to start: {FirstLine(e.GetBaseException().Message)}; the node does not run");
                return ExitEnvironment;
            }
            // 0 after a clean stop; NodeFailedReason.Code (4) when the node gave up on a failing part.
            if (reason is NodeFailedReason) return NodeFailedReason.Code;
            if (ct.IsCancellationRequested) return 0;
            if (reason is { ExitCode: not 0 } failed && RemovalCause(reason) is null)
            {
                // Akka stopped the node for a failure of its own and gave a non-zero exit code: exit with that code,
                // so the service manager restarts the node and shows why.
                Console.Error.WriteLine($"redis-ha: Akka stopped the node ({failed.GetType().Name}, see the log above); exit code {failed.ExitCode}");
                return failed.ExitCode;
            }
            if (RemovalCause(reason) is not { } cause) return 0;
            Console.Error.WriteLine($"redis-ha: this node was {cause}; restarting its actor system to rejoin (incarnation {incarnation + 1})");
        }
    }

    /// <summary>
    /// How the cluster removed this node, when it did: downed (the split-brain resolver, or a member's
    /// <c>Down</c>) or made to leave (another member's <c>Leave</c> of this node: the node never leaves by
    /// itself while running). Either way the node restarts its membership, never a silent exit 0 that the
    /// service manager would not restart. Null for any other stop.
    /// </summary>
    /// <param name="reason">Why the actor system stopped (the host was not stopping).</param>
    internal static string? RemovalCause(CoordinatedShutdown.Reason? reason) => reason switch
    {
        CoordinatedShutdown.ClusterDowningReason => "downed by the cluster (split-brain resolver or a member's Down)",
        CoordinatedShutdown.ClusterLeavingReason => "removed from the cluster (a member's Leave of this node)",
        _ => null,
    };

    /// <summary>
    /// Resolves and binds the cluster address once, so a taken port is one clear line. A name that
    /// does not resolve yet, or an address not on this host yet, <c>Passes</c> by itself (DNS or DHCP
    /// comes later): waited for, not an exit.
    /// </summary>
    private static (string Problem, bool Passes)? ClusterAddressProblem(ClusterGuardSettings cluster)
    {
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(cluster.Hostname);
        }
        catch (SocketException e)
        {
            return ($"akka.remote.dot-netty.tcp.hostname {cluster.Hostname} does not resolve ({e.Message})", true);
        }
        if (addresses.Length == 0) return ($"akka.remote.dot-netty.tcp.hostname {cluster.Hostname} resolves to no address", true);
        try
        {
            var listener = new TcpListener(addresses[0], cluster.Port);
            listener.Start();
            listener.Stop();
            return null;
        }
        catch (SocketException e)
        {
            return ($"cannot listen on the cluster address {cluster.Hostname}:{cluster.Port}: {e.Message}",
                e.SocketErrorCode == SocketError.AddressNotAvailable);
        }
    }

    /// <summary>Null once <paramref name="name"/> has an IPv4 address (then in <paramref name="primary"/>), else why not.</summary>
    private static string? AddressProblem(string name, IReadOnlyCollection<IPAddress> vips, ref IPAddress? primary)
    {
        try
        {
            var iface = RawVrrpSocket.Read(name, vips);
            primary = iface.Primary;
            return primary is null ? iface.Describe() : null;
        }
        catch (VrrpSocketException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Removes the node's VIPs now, as its VRRP start does anyway (stale VIPs of an earlier run): a
    /// process without CAP_NET_ADMIN would otherwise run, become MASTER and fail to add its VIP.
    /// </summary>
    private static string? VipPermissionProblem(VrrpSettings vrrp)
    {
        try
        {
            NetlinkVirtualAddresses.ReleaseNow(vrrp);
            return null;
        }
        catch (NetlinkException e) when (e.Errno == NetlinkException.NotPermitted)
        {
            return $"cannot manage the virtual addresses on {vrrp.Interface}: {e.Message}";
        }
        catch (InvalidOperationException)
        {
            // Any other refusal (the interface went away meanwhile) is the VRRP actor's to handle and log.
            return null;
        }
    }

    private static bool HeldWithoutExpiry(VrrpSettings vrrp)
    {
        try
        {
            return NetlinkVirtualAddresses.HeldWithoutExpiry(vrrp);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();

    /// <summary>Runs one actor system until it stops; returns why it stopped (null: the host stopped it).</summary>
    private static async Task<CoordinatedShutdown.Reason?> RunOnceAsync(HaSettings settings, FileInfo file, IPAddress? primary, string announceHost,
        bool startPaused, CancellationToken ct)
    {
        var level = new LogLevelSwitch(settings.Logging.Level);
        // The empty builder: no appsettings.json, no file watcher on the working directory, no
        // environment-variable configuration. The node is configured by its HOCON file alone.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "redis-ha" });
        builder.Services.AddSingleton<IHostLifetime, ConsoleLifetime>();
        // The switch decides (debug included when redis-ha.log.level = debug).
        builder.Logging.AddNodeConsole(settings.Logging).SetMinimumLevel(LogLevel.Debug).AddFilter(level.Allows);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddAkka(ActorSystemName, (akka, sp) =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            var vipLog = loggerFactory.CreateLogger("RedisHaActors.Vip");
            var io = new NodeIo(
                () => RawVrrpSocket.Open(settings.Vrrp.Interface, settings.Vrrp.VirtualAddresses.Select(v => v.Address).ToArray()),
                () => new NetlinkVirtualAddresses(settings.Vrrp, new PcapGratuitousArp(), vipLog),
                new StackExchangeRedisNodeFactory(settings.Redis.User, settings.Redis.Password, settings.Redis.Check.Timeout, settings.Redis.Tls),
                new StopwatchClock(),
                () => HaSettings.Load(file.FullName),
                level.Set);
            akka.AddHocon(AkkaConfig.Replace("{level}", LogLevelSwitch.AkkaName(settings.Logging.Level)), HoconAddMode.Prepend)
                .AddSetup(new HostLoggerSetup(loggerFactory))
                .ConfigureLoggers(l =>
                {
                    l.ClearLoggers();
                    l.AddLogger<HostLogger>();
                })
                .WithRedisHaNode(settings, io, announceHost, primary, startPaused);
        });
        // Idle memory of a process that runs for months (bench/idle.sh): no app.config probe at
        // ActorSystem creation, and startup's freed native heap handed back to the kernel.
        builder.Services.UseActorSystemWithoutAppConfig(ActorSystemName);
        builder.Services.AddHostedService<NativeHeapTrimmer>();
        builder.Services.AddHostedService(sp => new SystemdNotifier(sp.GetRequiredService<ActorSystem>(), settings.Node.Role, SdNotify.FromEnvironment(),
            sp.GetRequiredService<ILogger<SystemdNotifier>>()));
        using var host = builder.Build();
        var system = host.Services.GetRequiredService<ActorSystem>();
        using var hup = ReloadSignal.Register(host.Services.GetRequiredService<ActorRegistry>(), SdNotify.FromEnvironment(),
            host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RedisHaActors.Reload"));
        await host.RunAsync(ct).ConfigureAwait(false);
        return CoordinatedShutdown.Get(system).ShutdownReason;
    }
}
