using System.Diagnostics;
using System.Net;

namespace RedisHaActors.Redis;

/// <summary>
/// Makes the local Redis the master with zero loss where the old master still answers: pause the old
/// master's writes (<c>CLIENT PAUSE WRITE</c>), wait until the local replica has its final
/// <c>master_repl_offset</c> (bounded by sync-timeout), <c>REPLICAOF NO ONE</c>, re-point the old
/// master at us before releasing its paused writers (or, when it cannot persist, at nothing:
/// <see cref="FenceLocal"/>, since a Redis 7 replica panics on a replicated write it cannot persist), and drop
/// its clients so they reconnect through the VIP. Where it does not answer, promote at once (after the fence wait of a guarded node; after asking it again up to sync-timeout when this replica is known to be behind and its Redis times out rather than refuses: it may only be stalled) and report
/// the estimated loss. A procedure with explicit inputs: it reads no actor state, and cancellation is
/// checked before every command, so a superseded promotion never reaches Redis.
/// </summary>
public static class Promotion
{
    /// <summary>Everything a promotion needs.</summary>
    /// <param name="Local">The local Redis.</param>
    /// <param name="Old">The old master's Redis, null when no previous master is known.</param>
    /// <param name="PreviousMaster">The old master's address (for the log).</param>
    /// <param name="PreviousMasterAlive">It was still advertising (preempted): keep asking it for up to sync-timeout.</param>
    /// <param name="OwnOffset">The local replica's offset at the decision, bytes.</param>
    /// <param name="LastKnownMasterOffset">The old master's last seen <c>master_repl_offset</c>, for the loss estimate.</param>
    /// <param name="FenceWait">Guarded nodes, after a silent master: how long to wait for its self-fence (<see cref="MasterFence.WaitBeforePromotion"/>).</param>
    /// <param name="ResetMinReplicas">Set <c>min-replicas-to-write 0</c> before promoting: a guarded node (an earlier term may have left 1), or an unguarded one whose operator set it (<see cref="OperatorMinReplicas"/>);
    /// best effort: a failure is reported in the outcome and never stops the promotion.</param>
    /// <param name="AnnounceHost">How peers reach our Redis.</param>
    /// <param name="Port">Our (and peers') Redis port.</param>
    /// <param name="SyncTimeout">Longest catch-up.</param>
    /// <param name="HandoverLimit">Longest write pause on the old master.</param>
    /// <param name="Timeout">Bound on a local command.</param>
    /// <param name="PeerTimeout">Bound on a command to the old master.</param>
    /// <param name="SelfFenceUnavailable">Our Redis refuses CONFIG SET (so the old master's likely does too): the
    /// fence wait is still kept, but the outcome does not claim that the old master fenced itself.</param>
    /// <param name="ResetNote">Unguarded nodes whose operator set min-replicas (<see cref="OperatorMinReplicas"/>): said in the
    /// outcome when the reset succeeded; null for a guarded node's own fence.</param>
    /// <param name="ProveGone">Guarded nodes: asked before the fence wait; a non-null answer (<see cref="ProcessGone"/>) proves the
    /// old master's processes are gone, and the promotion does not wait. Null: always wait.</param>
    public sealed record Request(
        IRedisNode Local, IRedisNode? Old, IPAddress? PreviousMaster, bool PreviousMasterAlive, long OwnOffset, long? LastKnownMasterOffset,
        TimeSpan? FenceWait, bool ResetMinReplicas, string AnnounceHost, int Port, TimeSpan SyncTimeout, TimeSpan HandoverLimit,
        TimeSpan Timeout, TimeSpan PeerTimeout, bool SelfFenceUnavailable = false, Func<CancellationToken, Task<string?>>? ProveGone = null,
        string? ResetNote = null);

    /// <summary>Runs the promotion; returns the outcome line for the log.</summary>
    /// <exception cref="OperationCanceledException">A newer decision superseded it; nothing after the cancellation was sent.</exception>
    /// <exception cref="PromotionYielded">A preemption did not catch up within sync-timeout: nothing was promoted, the old master's writes were released.</exception>
    /// <exception cref="RedisCommandException">A local command failed or timed out (the caller reads the role again).</exception>
    public static async Task<string> RunAsync(Request r, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var ownOffset = r.OwnOffset;
        long? target = null;
        var oldError = "";
        WriteRefusal? oldRefusal = null;
        var stalledWait = false;
        if (r.Old is { } old)
        {
            // A preempted master was advertising a moment ago, so its Redis should answer: keep
            // asking (bounded by sync-timeout) instead of promoting without its last writes.
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                var probe = await old.ProbeAsync(r.PeerTimeout).ConfigureAwait(false);
                if (probe.Passed && probe.Facts is { Role: RedisRole.Master } facts)
                {
                    target = facts.MasterReplOffset;
                    oldRefusal = probe.WriteRefusal;
                    break;
                }
                oldError = probe.Passed ? $"it is not a master ({probe.Facts?.Role})" : probe.Error;
                // A master that left or fell silent while this replica is known to be behind it may only be stalled
                // (a fork, a slow fsync, DEBUG SLEEP): its Redis times out rather than refuses. Promoting now would
                // throw away what it acknowledged once it is re-pointed, so keep asking, bounded by sync-timeout.
                // A refused connection is proof its Redis is gone: nothing to wait for.
                var mayBeStalled = !probe.Passed && !probe.ConnectionRefused && RolePlanner.EstimatedLoss(r.LastKnownMasterOffset, ownOffset) > 0;
                if (mayBeStalled && !r.PreviousMasterAlive) stalledWait = true;
                if (!(r.PreviousMasterAlive || mayBeStalled) || started.Elapsed >= r.SyncTimeout) break;
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
            }
        }
        var paused = false;
        if (target is not null && r.Old is { } answering)
        {
            // Freeze the old master's writes first (it ends by itself if we die), then take its final
            // offset: from here on at most one of the two Redis can accept a write.
            try
            {
                ct.ThrowIfCancellationRequested();
                await answering.PauseWritesAsync(r.HandoverLimit, r.PeerTimeout).ConfigureAwait(false);
                paused = true;
                var final = await answering.ProbeAsync(r.PeerTimeout).ConfigureAwait(false);
                if (final.Passed && final.Facts is { Role: RedisRole.Master } ff)
                {
                    target = ff.MasterReplOffset;
                    oldRefusal = final.WriteRefusal;
                }
            }
            catch (RedisCommandException e)
            {
                oldError = $"could not pause its writes ({e.Message}); promoting with catch-up only";
            }
        }
        string how;
        if (target is { } t)
        {
            // Wait (bounded by sync-timeout) until this replica has everything the old master has.
            while (ownOffset < t && started.Elapsed < r.SyncTimeout)
            {
                ct.ThrowIfCancellationRequested();
                var probe = await r.Local.ProbeAsync(r.Timeout).ConfigureAwait(false);
                if (probe.Facts is { } f) ownOffset = f.Offset;
                if (ownOffset >= t) break;
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
            }
            if (ownOffset < t && r.PreviousMasterAlive && r.Old is { } alive)
            {
                // A preemption is voluntary: the old master is alive and serving, so it keeps its writes
                // and the VIP rather than lose them to a replica that is behind.
                if (paused)
                {
                    try { await alive.ResumeWritesAsync(r.PeerTimeout).ConfigureAwait(false); }
                    catch (RedisCommandException) { /* its pause ends by itself after the hand-over limit */ }
                }
                throw new PromotionYielded($"preemption given back: own offset {ownOffset} still behind old master {r.PreviousMaster} offset {t} " +
                                           $"after sync-timeout {r.SyncTimeout.TotalSeconds:0.#} s; not promoting with an estimated loss of {t - ownOffset} bytes" +
                                           (paused ? ", its writes released" : ""));
            }
            how = ownOffset >= t
                ? $"caught up with old master {r.PreviousMaster} at offset {t} in {started.ElapsedMilliseconds} ms"
                : $"sync-timeout: own offset {ownOffset} behind old master {r.PreviousMaster} offset {t}, estimated loss {t - ownOffset} bytes";
            if (!paused && oldError.Length > 0) how += $" ({oldError})";
        }
        else if (r.PreviousMasterAlive && r.PreviousMaster is not null)
        {
            // Preempting a master that still advertises but whose Redis we cannot reach: its clients may
            // still reach it, so taking over would lose their writes (or give two masters).
            throw new PromotionYielded($"preemption given back: old master {r.PreviousMaster} still advertises but its Redis did not answer within sync-timeout " +
                                       $"{r.SyncTimeout.TotalSeconds:0.#} s ({oldError}); not promoting without its final offset");
        }
        else
        {
            var loss = RolePlanner.EstimatedLoss(r.LastKnownMasterOffset, ownOffset);
            var waited = "";
            if (r.PreviousMaster is not null && r.FenceWait is { } wait && wait - started.Elapsed is { } rest && rest > TimeSpan.Zero)
            {
                // It fell silent without leaving: two writable masters, even briefly, are worse than a
                // longer takeover, unless its processes are provably gone.
                var proof = r.ProveGone is null ? null : await r.ProveGone(ct).ConfigureAwait(false);
                if (proof is not null)
                    waited = $" without waiting for its fence: {proof}";
                else
                {
                    await Task.Delay(rest, ct).ConfigureAwait(false);
                    waited = r.SelfFenceUnavailable
                        ? $" after waiting {rest.TotalSeconds:0.00} s, though its Redis may not have fenced itself (CONFIG SET refused here: no min-replicas self-fence)"
                        : $" after waiting {rest.TotalSeconds:0.00} s for its Redis to fence itself (min-replicas-max-lag)";
                }
            }
            if (stalledWait && waited.Length == 0) waited = $" after asking it for {started.Elapsed.TotalSeconds:0.00} s (it may only be stalled: it timed out, not refused)";
            how = r.PreviousMaster is null
                ? "no previous master known: promoted at once"
                : $"old master {r.PreviousMaster} does not answer ({oldError}): promoted{(waited.Length > 0 ? waited : " at once")}, estimated loss {loss} bytes (last known master offset {r.LastKnownMasterOffset?.ToString() ?? "unknown"}, own {ownOffset})";
        }
        if (r.ResetMinReplicas)
        {
            // A guarded replica may carry min-replicas-to-write 1 from an earlier term as master: with
            // its peer gone it would refuse every write after promotion. The reconcile loop raises it
            // again once a replica is online. Optional: a failure (CONFIG refused, Redis 6.2 syntax) must
            // never keep the VIP on a READONLY replica, so it is reported and the promotion goes on.
            ct.ThrowIfCancellationRequested();
            try
            {
                await r.Local.SetMinReplicasAsync(0, MasterFence.MinReplicasMaxLagSeconds, r.Timeout).ConfigureAwait(false);
                if (r.ResetNote is not null) how += $"; {r.ResetNote}";
            }
            catch (RedisCommandException e)
            {
                how += $"; min-replicas-to-write not reset, promoted anyway (writes fail with NOREPLICAS if an earlier term left it at 1): {e.Message}";
            }
        }
        ct.ThrowIfCancellationRequested();
        await r.Local.ReplicaOfNoOneAsync(r.Timeout).ConfigureAwait(false);
        if (target is not null && r.Old is { } previous)
        {
            // The old master still answers: make it a replica of us before its paused writers are
            // released (the other order lets them land on it and be lost), then drop its clients so
            // they reconnect through the VIP. A cancellation here leaves it paused: the pause ends by
            // itself, and the newer decision's own reconcile re-points whoever is master.
            try
            {
                ct.ThrowIfCancellationRequested();
                if (oldRefusal is { DiskError: true } disk)
                {
                    // As our replica it would panic on the first write it cannot persist: held read-only instead,
                    // its coordinator re-points it once its write path is back.
                    await previous.ReplicaOfAsync(LocalFence.Host, LocalFence.Port, r.PeerTimeout).ConfigureAwait(false);
                    how += $"; old master {r.PreviousMaster} held read-only (REPLICAOF {LocalFence.Host} {LocalFence.Port}), not made our replica: its {disk.Reason}";
                }
                else
                {
                    var note = await previous.ReplicaOfAsync(r.AnnounceHost, r.Port, r.PeerTimeout).ConfigureAwait(false);
                    how += $"; old master {r.PreviousMaster} re-pointed to {r.AnnounceHost}:{r.Port}{(note.Length > 0 ? $" ({note})" : "")}";
                }
            }
            catch (RedisCommandException e)
            {
                how += $"; could not re-point old master: {e.Message}";
                paused = false; // never released before it is a replica: its pause ends by itself
            }
            if (paused)
            {
                // Re-pointed: a refused CLIENT UNPAUSE or KILL only delays its clients (until the pause
                // ends, or until they reconnect after READONLY).
                try
                {
                    ct.ThrowIfCancellationRequested();
                    await previous.UnpauseAndDisconnectClientsAsync(r.PeerTimeout).ConfigureAwait(false);
                    how += " (writes paused during the hand-over, its clients disconnected)";
                }
                catch (RedisCommandException e)
                {
                    how += $" (writes paused during the hand-over; could not release or drop its clients: {e.Message})";
                }
            }
        }
        return $"replica -> master (REPLICAOF NO ONE): {how}";
    }
}
