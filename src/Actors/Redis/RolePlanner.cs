using System.Net;
using RedisHaActors.Primitives;

namespace RedisHaActors.Redis;

/// <summary>What the role flipper should do next to bring the local Redis to its desired role.</summary>
public abstract record RolePlan;

/// <summary>Nothing to do.</summary>
/// <param name="Reason">Why, for debugging.</param>
public sealed record RoleSteady(string Reason) : RolePlan;

/// <summary>Become a writable master: catch up with <paramref name="PreviousMaster"/> if it answers, then <c>REPLICAOF NO ONE</c>.</summary>
/// <param name="PreviousMaster">The master this node followed before it became VRRP master, if known.</param>
public sealed record PromoteLocal(IPAddress? PreviousMaster) : RolePlan;

/// <summary><c>REPLICAOF host port</c> on the local Redis.</summary>
/// <param name="Host">The VRRP master's address.</param>
/// <param name="Port">Its Redis port.</param>
public sealed record FollowMaster(string Host, int Port) : RolePlan;

/// <summary>Make the local Redis read-only without losing its data: the node lost its network (FAULT)
/// while its Redis was a master. <c>REPLICAOF</c> an address that does not answer keeps the dataset
/// and refuses writes until a real master is known again (<see cref="LocalFence"/>).</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record FenceLocal(string Reason) : RolePlan;

/// <summary>Do not follow the VRRP master: our Redis has data its empty Redis would wipe. Logged once.</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record KeepData(string Reason) : RolePlan;

/// <summary>Do not follow the VRRP master while the local Redis cannot persist (<see cref="WriteRefusal.DiskError"/>):
/// a Redis 7 replica panics on a replicated write it cannot persist. It stays as it is (read-only) and follows
/// once its write path is back. Logged once.</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record HoldReplica(string Reason) : RolePlan;

/// <summary>Do not promote yet: the MASTER state behind the directive has lapsed with the VIP lease (the
/// process woke from a stall). VRRP re-checks first; a real master promotes on fresh news. Logged once.</summary>
/// <param name="Reason">Why, for the log.</param>
public sealed record HoldPromotion(string Reason) : RolePlan;

/// <summary>
/// Level-triggered role decision: desired role from the VRRP state, actual role from the last
/// <c>INFO replication</c>. Pure; called on every observation so a drifted role (a Redis
/// restarted as master, a manual REPLICAOF) is corrected within one check interval.
/// </summary>
public static class RolePlanner
{
    /// <summary>Decides the next step.</summary>
    /// <param name="directive">What the node wants: role, master to follow, previous master, quorum verdict.
    /// A minority's Redis must refuse writes whatever VRRP says: the majority may be promoting.</param>
    /// <param name="masterPort">Peers' Redis port.</param>
    /// <param name="local">Facts of the local Redis, null if it does not answer or its role is unknown
    /// (a command to it timed out: it is read again before anything else is done).</param>
    /// <param name="masterRedis">Facts of the VRRP master's Redis as last seen, null if unknown or unreachable.
    /// A backup follows it only once it is a master: re-pointing at a Redis that is itself still a
    /// replica (a new master that has not promoted yet) would chain replicas or loop them.</param>
    /// <param name="protectData">Guarded nodes: a Redis with keys never follows an empty master (it would
    /// full-resync and lose them), nor a master whose history ours was promoted from (two masters meeting after a
    /// heal are resolved by data, not by VRRP priority); <see cref="DataPreference"/> makes that master yield instead.</param>
    /// <param name="emptyRestart">Why the local Redis is held back after restarting empty, else null. Such
    /// a master is fenced at once, whatever VRRP says: as a replica with no link it answers its
    /// replica's resync attempts with NOMASTERLINK, so the replica keeps its copy until it is promoted.</param>
    /// <param name="writeRefusal">Why the local Redis refuses writes, else null. One that cannot persist is never
    /// made a replica of the VRRP master (<see cref="HoldReplica"/>); as a master it is fenced
    /// (<see cref="FenceLocal"/>: no link, no replicated write) once the new master's Redis is a master, not
    /// before: until then it refuses writes by itself, and the promotion may still be catching up with it.</param>
    public static RolePlan Plan(RoleDirective directive, int masterPort, ReplicationFacts? local,
        ReplicationFacts? masterRedis, bool protectData = false, string? emptyRestart = null, WriteRefusal? writeRefusal = null)
    {
        if (local is null) return new RoleSteady("local redis does not answer");
        if (emptyRestart is not null && local.Role == RedisRole.Master)
            return new FenceLocal($"redis {emptyRestart}");
        // Started read-only (redis.conf's replicaof 127.0.0.1 1) and empty: already fenced, and never
        // promoted while held, or its replica would full-resync from it and lose its copy.
        if (emptyRestart is not null && directive.Role == DesiredRole.Master)
            return new HoldPromotion($"not promoting: redis {emptyRestart}");
        if (directive.NoQuorum is { } noQuorum && directive.Role != DesiredRole.Master)
            return local.Role == RedisRole.Master
                ? new FenceLocal(noQuorum)
                : new RoleSteady($"{noQuorum}; local redis already read-only");
        switch (directive.Role)
        {
            case DesiredRole.Master:
                return local.Role == RedisRole.Master
                    ? new RoleSteady("VRRP master and redis master")
                    : new PromoteLocal(directive.PreviousMaster);
            case DesiredRole.Replica when directive.Master is { } master:
                var host = master.ToString();
                if (local.Role == RedisRole.Replica && local.MasterHost == host && local.MasterPort == masterPort)
                    return new RoleSteady($"replica of {host}:{masterPort}");
                if (writeRefusal is { DiskError: true } disk)
                    return local.Role == RedisRole.Master && masterRedis is { Role: RedisRole.Master }
                        ? new FenceLocal($"{disk.Reason}: held read-only, not made a replica of {host}:{masterPort} (a Redis 7 replica panics on a " +
                                         "replicated write it cannot persist); it follows once its write path is back")
                        : local.Role == RedisRole.Master
                            ? new RoleSteady($"{disk.Reason}: its Redis refuses writes by itself; fenced once {host}:{masterPort} is a master")
                            : new HoldReplica($"not following {host}:{masterPort} while the {disk.Reason} (a Redis 7 replica panics on a " +
                                              "replicated write it cannot persist): held read-only until it is back");
                if (protectData && DataPreference.WouldWipe(local, masterRedis))
                    return new KeepData($"not following {host}:{masterPort}: its Redis is empty and ours has {local.Keys} keys");
                if (protectData && DataPreference.Discards(local, masterRedis) is { } discards)
                    return new KeepData($"not following {host}:{masterPort}: {discards}; following it would throw those writes away " +
                                        "(kept and reported, never overwritten; an operator switchover decides)");
                return masterRedis is { Role: RedisRole.Master }
                    ? new FollowMaster(host, masterPort)
                    : new RoleSteady($"waiting for {host}:{masterPort} to be a master ({(masterRedis is null ? "not seen" : "now " + masterRedis.Role.ToString().ToLowerInvariant())})");
            case DesiredRole.Replica:
                // No master heard (yet): changing roles now would guess. The first advert decides.
                return new RoleSteady("VRRP backup, no master known");
            case DesiredRole.Fenced:
                return local.Role == RedisRole.Master
                    ? new FenceLocal("VRRP FAULT: the node is cut off, its Redis must not take writes")
                    : new RoleSteady("VRRP fault, local redis already read-only");
            default:
                return new RoleSteady("VRRP not running");
        }
    }

    /// <summary>
    /// Whether to act on <paramref name="plan"/> now. A promotion waits while the VIP lease has lapsed
    /// (<see cref="HoldPromotion"/>). A plan just carried out is not repeated within
    /// <paramref name="settle"/>: facts observed before it landed still show the old role, and repeating
    /// would only resend an idempotent command.
    /// </summary>
    /// <param name="plan">From <see cref="Plan"/>.</param>
    /// <param name="lease">The VIP lease while VRRP MASTER, null when none was renewed in this term.</param>
    /// <param name="lastDone">The last plan that succeeded and when (monotonic).</param>
    /// <param name="settle">One check interval plus its timeout.</param>
    /// <param name="now">Monotonic now.</param>
    public static RolePlan Gate(RolePlan plan, Lease? lease, (RolePlan Plan, TimeSpan At)? lastDone, TimeSpan settle, TimeSpan now)
    {
        if (plan is PromoteLocal && lease is { } l && l.LapsedAt(now))
            return new HoldPromotion($"not promoting: the VIP lease was last renewed {l.Age(now).TotalSeconds:0.00} s ago (process stalled?); waiting for VRRP");
        if (lastDone is { } done && Equals(done.Plan, plan) && now - done.At < settle)
            return new RoleSteady($"{plan} just done");
        return plan;
    }

    /// <summary>Bytes a promotion may lose: the old master's last known offset minus ours (never negative).</summary>
    public static long EstimatedLoss(long? lastKnownMasterOffset, long ownOffset) =>
        lastKnownMasterOffset is { } m && m > ownOffset ? m - ownOffset : 0;
}
