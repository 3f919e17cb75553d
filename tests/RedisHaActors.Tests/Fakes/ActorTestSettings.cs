using System.Net;
using RedisHaActors.Configuration;

namespace RedisHaActors.Tests.Fakes;

internal static class ActorTestSettings
{
    public static VrrpSettings Vrrp(byte priority = 200, int advertMs = 20, bool preempt = true, int leaseSeconds = 2) =>
        new("eth0", 51, priority, TimeSpan.FromMilliseconds(advertMs), 3, preempt,
            [new VirtualAddress(IPAddress.Parse("192.0.2.100"), 24)], TimeSpan.FromSeconds(leaseSeconds), 1);

    public static RedisSettings Redis(int checkMs = 20, int rise = 2, int fall = 2, int weight = -20, int syncTimeoutMs = 2000) =>
        new("127.0.0.1", 6379, "", "", "", new RedisCheckSettings(TimeSpan.FromMilliseconds(checkMs), TimeSpan.FromMilliseconds(checkMs), rise, fall, weight),
            TimeSpan.FromMilliseconds(syncTimeoutMs));
}
