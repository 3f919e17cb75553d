namespace RedisHaActors.Redis;

/// <summary>
/// Fences every stray master among <see cref="StrayMasters.Targets"/>: a Redis that answers as a master
/// gets <c>REPLICAOF</c> us and <c>CLIENT KILL TYPE normal</c>, so its clients stop writing to it and
/// reconnect through the VIP; one that cannot persist gets <c>REPLICAOF</c> nothing (<see cref="FenceLocal"/>), since a
/// Redis 7 replica panics on a replicated write it cannot persist. A procedure with explicit inputs; it reads no actor state.
/// </summary>
public static class StrayMasterSweep
{
    /// <summary>Runs one sweep; returns one log line per Redis fenced or that could not be fenced.</summary>
    /// <param name="targets">The Redis to check, with their addresses for the log.</param>
    /// <param name="announceHost">How peers reach our Redis.</param>
    /// <param name="port">Our Redis port.</param>
    /// <param name="timeout">Bound on each command.</param>
    public static async Task<IReadOnlyList<string>> RunAsync(IReadOnlyList<(string Host, int Port, IRedisNode Node)> targets,
        string announceHost, int port, TimeSpan timeout)
    {
        var lines = new List<string>();
        foreach (var (host, peerPort, node) in targets)
        {
            var probe = await node.ProbeAsync(timeout).ConfigureAwait(false);
            if (!probe.Passed || probe.Facts is not { Role: RedisRole.Master }) continue;
            var (toHost, toPort) = probe.WriteRefusal is { DiskError: true } ? (LocalFence.Host, LocalFence.Port) : (announceHost, port);
            try
            {
                var note = await node.ReplicaOfAsync(toHost, toPort, timeout).ConfigureAwait(false);
                if (note.Length > 0) lines.Add(note);
            }
            catch (RedisCommandException e)
            {
                lines.Add($"cannot fence stray master {host}:{peerPort}: {e.Message}");
                continue;
            }
            try
            {
                await node.UnpauseAndDisconnectClientsAsync(timeout).ConfigureAwait(false);
                lines.Add($"fenced stray master {host}:{peerPort} (its coordinator is not in the cluster): REPLICAOF {toHost} {toPort}{Held(probe)}, clients disconnected");
            }
            catch (RedisCommandException e)
            {
                // Fenced all the same (a replica refuses writes); its clients reconnect after READONLY.
                lines.Add($"fenced stray master {host}:{peerPort} (its coordinator is not in the cluster): REPLICAOF {toHost} {toPort}{Held(probe)}; could not drop its clients: {e.Message}");
            }
        }
        return lines;
    }

    private static string Held(RedisProbe probe) =>
        probe.WriteRefusal is { DiskError: true } disk ? $" (held read-only, not made our replica: its {disk.Reason})" : "";
}
