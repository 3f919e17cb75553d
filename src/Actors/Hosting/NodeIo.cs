using RedisHaActors.Primitives;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp.Net;

namespace RedisHaActors.Hosting;

/// <summary>
/// Everything a node touches outside the process, so tests can swap any of it for a fake.
/// </summary>
/// <param name="OpenTransport">Opens the VRRP socket (called when the VRRP actor starts).</param>
/// <param name="CreateVirtualAddresses">Creates the VIP lease manager.</param>
/// <param name="Redis">Connects to the local and peer Redis servers.</param>
/// <param name="Clock">Monotonic time.</param>
/// <param name="ReadConfig">Re-reads and validates the node file for a reload (throws
/// <see cref="Configuration.ConfigurationException"/>); null = reloads are refused.</param>
/// <param name="SetLogLevel">Sets the least severe line the host's loggers write (a reloaded <c>redis-ha.log.level</c>); null = none.</param>
public sealed record NodeIo(
    Func<IVrrpTransport> OpenTransport,
    Func<IVirtualAddresses> CreateVirtualAddresses,
    IRedisNodeFactory Redis,
    IMonotonicClock Clock,
    Func<Configuration.HaSettings>? ReadConfig = null,
    Action<Configuration.LogThreshold>? SetLogLevel = null);
