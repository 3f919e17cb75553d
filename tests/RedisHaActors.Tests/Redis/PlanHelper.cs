using System.Net;
using RedisHaActors.Hosting;
using RedisHaActors.Redis;
using RedisHaActors.Vrrp;

namespace RedisHaActors.Tests.Redis;

/// <summary>The role planner asked as the node asks it: VRRP's state translated into a directive.</summary>
public static class PlanHelper
{
    public static RolePlan Plan(VrrpState vrrp, IPAddress? master, IPAddress? previousMaster, int masterPort, ReplicationFacts? local,
        ReplicationFacts? masterRedis, string? noQuorum = null, bool protectData = false, string? emptyRestart = null) =>
        RolePlanner.Plan(RoleTranslation.Directive(vrrp, master, previousMaster, false, null, noQuorum, "test"), masterPort, local, masterRedis,
            protectData, emptyRestart);
}
