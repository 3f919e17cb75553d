using System.Collections.Concurrent;
using RedisHaActors.Redis;

namespace RedisHaActors.Tests.Actors;

/// <summary>A scriptable Redis: probe results come from <see cref="Facts"/> / <see cref="Down"/>; role commands change them.</summary>
public sealed class FakeRedisNode(string endpoint) : IRedisNode
{
    private readonly object _gate = new();
    private ReplicationFacts _facts = Master(0);

    public string Endpoint { get; } = endpoint;

    public volatile bool Down;

    public ConcurrentQueue<string> Commands { get; } = new();

    public ReplicationFacts Facts
    {
        get { lock (_gate) return _facts; }
        set { lock (_gate) _facts = value; }
    }

    public static ReplicationFacts Master(long offset) =>
        new(RedisRole.Master, null, null, false, offset, 0, "replid", 0, "no-failover");

    public static ReplicationFacts ReplicaOf(string host, int port, long offset) =>
        new(RedisRole.Replica, host, port, true, offset, offset, "replid", 0, "no-failover");

    public Task<RedisProbe> ProbeAsync(TimeSpan timeout) =>
        Task.FromResult(Down ? RedisProbe.Failed("connection refused or unreachable") : new RedisProbe(true, Facts, ""));

    public Task ReplicaOfNoOneAsync(TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"REPLICAOF NO ONE on {Endpoint}: connection refused");
        Commands.Enqueue("REPLICAOF NO ONE");
        Facts = Master(Facts.Offset);
        return Task.CompletedTask;
    }

    public Task ReplicaOfAsync(string host, int port, TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"REPLICAOF on {Endpoint}: connection refused");
        Commands.Enqueue($"REPLICAOF {host} {port}");
        Facts = ReplicaOf(host, port, Facts.Offset);
        return Task.CompletedTask;
    }

    public Task SetMinReplicasAsync(int count, int maxLagSeconds, TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"CONFIG SET on {Endpoint}: connection refused");
        Commands.Enqueue($"MIN-REPLICAS {count} {maxLagSeconds}");
        return Task.CompletedTask;
    }

    public Task PauseWritesAsync(TimeSpan duration, TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"CLIENT PAUSE on {Endpoint}: connection refused");
        Commands.Enqueue("CLIENT PAUSE WRITE");
        return Task.CompletedTask;
    }

    public Task ResumeWritesAsync(TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"CLIENT UNPAUSE on {Endpoint}: connection refused");
        Commands.Enqueue("CLIENT UNPAUSE");
        return Task.CompletedTask;
    }

    public Task UnpauseAndDisconnectClientsAsync(TimeSpan timeout)
    {
        if (Down) throw new RedisCommandException($"CLIENT UNPAUSE on {Endpoint}: connection refused");
        Commands.Enqueue("CLIENT UNPAUSE");
        Commands.Enqueue("CLIENT KILL TYPE normal");
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class FakeRedisFactory : IRedisNodeFactory
{
    public ConcurrentDictionary<string, FakeRedisNode> Nodes { get; } = new();

    public FakeRedisNode Get(string host, int port = 6379) => Nodes.GetOrAdd($"{host}:{port}", k => new FakeRedisNode(k));

    public IRedisNode Create(string host, int port) => Get(host, port);
}
