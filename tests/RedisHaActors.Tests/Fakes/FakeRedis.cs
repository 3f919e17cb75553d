using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Fakes;

/// <summary>
/// A scriptable Redis: probe results come from <see cref="Facts"/> / <see cref="Down"/>; role commands
/// change them. A command can be delayed (<see cref="Delays"/>, by its first word as recorded, e.g.
/// "REPLICAOF" or "MIN-REPLICAS") or made to fail (<see cref="Failing"/>), so tests reach in-flight and
/// timed-out paths. <see cref="Commands"/> records what reached the server, when it ran.
/// </summary>
public sealed class FakeRedisNode(string endpoint) : IRedisNode
{
    private readonly object _gate = new();
    private ReplicationFacts _facts = Master(0);

    public string Endpoint { get; } = endpoint;

    public volatile bool Down;

    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Delay before a command (by first word) reaches the server.</summary>
    public ConcurrentDictionary<string, TimeSpan> Delays { get; } = new();

    /// <summary>Commands (by first word, or first two: "CLIENT UNPAUSE") that fail with a timeout, without reaching the server.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>Commands of <see cref="RedisPermissions.Checked"/> (e.g. "CONFIG SET") the server refuses: its
    /// permission check reports them, and MIN-REPLICAS fails as refused while "CONFIG SET" is among them.</summary>
    public ConcurrentDictionary<string, bool> Refused { get; } = new();

    /// <summary>How many permission checks ran (not in <see cref="Commands"/>: they change nothing).</summary>
    public int PermissionChecks;

    /// <summary>Reported by every probe while set: the server answers but refuses writes (MISCONF, OOM).</summary>
    public volatile WriteRefusal? WriteRefusal;

    /// <summary>Its <c>replica-read-only</c> (null: CONFIG GET refused).</summary>
    public volatile StrongBox<bool?> ReplicaReadOnly = new(true);

    /// <summary>Its <c>min-replicas-to-write</c> / <c>-max-lag</c>, changed by <see cref="SetMinReplicasAsync"/>
    /// (null: CONFIG GET refused).</summary>
    public volatile StrongBox<OperatorMinReplicas?> MinReplicas = new(new OperatorMinReplicas(0, 10));

    /// <summary>Returned by <see cref="ReplicaOfAsync"/> (a masterauth note).</summary>
    public volatile string ReplicaOfNote = "";

    public ReplicationFacts Facts
    {
        get { lock (_gate) return _facts; }
        set { lock (_gate) _facts = value; }
    }

    public static ReplicationFacts Master(long offset) =>
        new(RedisRole.Master, null, null, false, offset, 0, "replid", 0, "no-failover");

    public static ReplicationFacts ReplicaOf(string host, int port, long offset) =>
        new(RedisRole.Replica, host, port, true, offset, offset, "replid", 0, "no-failover");

    /// <summary>While <see cref="Down"/>: whether its port refuses connections (the process is gone) rather than time out.</summary>
    public volatile bool DownRefuses;

    /// <summary>One "PING" per probe that the server answered (the observation of a master shows here).</summary>
    public ConcurrentQueue<string> Probed { get; } = new();

    public Task<RedisProbe> ProbeAsync(TimeSpan timeout)
    {
        if (Down) return Task.FromResult(RedisProbe.Failed("connection refused or unreachable") with { ConnectionRefused = DownRefuses });
        Probed.Enqueue("PING");
        return Task.FromResult(new RedisProbe(true, Facts, "", WriteRefusal));
    }

    public Task<bool?> ReplicaReadOnlyAsync(TimeSpan timeout) =>
        Down ? Task.FromException<bool?>(new RedisCommandException($"CONFIG GET on {Endpoint}: connection refused")) : Task.FromResult(ReplicaReadOnly.Value);

    /// <summary>How many times <see cref="MinReplicasAsync"/> answered (not in <see cref="Commands"/>: it changes nothing).</summary>
    public int MinReplicasReads;

    public Task<OperatorMinReplicas?> MinReplicasAsync(TimeSpan timeout)
    {
        if (Down) return Task.FromException<OperatorMinReplicas?>(new RedisCommandException($"CONFIG GET on {Endpoint}: connection refused"));
        Interlocked.Increment(ref MinReplicasReads);
        return Task.FromResult(MinReplicas.Value);
    }

    private async Task RunAsync(string command, string what, Action apply)
    {
        var word = command.Split(' ')[0];
        if (Delays.TryGetValue(word, out var delay)) await Task.Delay(delay).ConfigureAwait(false);
        if (Failing.ContainsKey(word) || Failing.ContainsKey(string.Join(' ', command.Split(' ').Take(2)))) throw new RedisCommandException($"{what} on {Endpoint}: timeout");
        if (Down) throw new RedisCommandException($"{what} on {Endpoint}: connection refused");
        Commands.Enqueue(command);
        apply();
    }

    public Task<IReadOnlyList<RedisPermissions.Refusal>> CheckPermissionsAsync(TimeSpan timeout)
    {
        Interlocked.Increment(ref PermissionChecks);
        return Down
            ? Task.FromException<IReadOnlyList<RedisPermissions.Refusal>>(new RedisCommandException($"permission check on {Endpoint}: connection refused"))
            : Task.FromResult<IReadOnlyList<RedisPermissions.Refusal>>(RedisPermissions.Checked.Where(n => Refused.ContainsKey(n.Command))
                .Select(n => new RedisPermissions.Refusal(n.Command, "NOPERM (fake)", false)).ToList());
    }

    public Task ReplicaOfNoOneAsync(TimeSpan timeout) =>
        RunAsync("REPLICAOF NO ONE", "REPLICAOF NO ONE", () => Facts = Master(Facts.Offset));

    public async Task<string> ReplicaOfAsync(string host, int port, TimeSpan timeout)
    {
        await RunAsync($"REPLICAOF {host} {port}", "REPLICAOF", () => Facts = ReplicaOf(host, port, Facts.Offset)).ConfigureAwait(false);
        return ReplicaOfNote;
    }

    public Task SetMinReplicasAsync(int count, int maxLagSeconds, TimeSpan timeout) =>
        Refused.ContainsKey("CONFIG SET")
            ? Task.FromException(new RedisCommandException($"CONFIG SET min-replicas-max-lag on {Endpoint}: NOPERM (fake)", refused: true))
            : RunAsync($"MIN-REPLICAS {count} {maxLagSeconds}", "CONFIG SET", () => MinReplicas = new(new OperatorMinReplicas(count, maxLagSeconds)));

    public Task PauseWritesAsync(TimeSpan duration, TimeSpan timeout) =>
        RunAsync("CLIENT PAUSE WRITE", "CLIENT PAUSE", () => { });

    public Task ResumeWritesAsync(TimeSpan timeout) =>
        RunAsync("CLIENT UNPAUSE", "CLIENT UNPAUSE", () => { });

    public async Task UnpauseAndDisconnectClientsAsync(TimeSpan timeout)
    {
        await RunAsync("CLIENT UNPAUSE", "CLIENT UNPAUSE", () => { }).ConfigureAwait(false);
        Commands.Enqueue("CLIENT KILL TYPE normal");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class FakeRedisFactory : IRedisNodeFactory
{
    public ConcurrentDictionary<string, FakeRedisNode> Nodes { get; } = new();

    public FakeRedisNode Get(string host, int port = 6379) => Nodes.GetOrAdd($"{host}:{port}", k => new FakeRedisNode(k));

    public IRedisNode Create(string host, int port) => Get(host, port);
}
