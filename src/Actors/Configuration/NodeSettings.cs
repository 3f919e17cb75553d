namespace RedisHaActors.Configuration;

/// <summary>What a node does in the set.</summary>
public enum NodeRole
{
    /// <summary>Runs VRRP, the Redis monitor and role flips.</summary>
    Data,

    /// <summary>Votes in the cluster quorum only; no VRRP, no Redis.</summary>
    Witness,
}

/// <summary>The <c>redis-ha.node</c> section.</summary>
/// <param name="Name">Unique node name, shown in logs and status.</param>
/// <param name="Role">Data or witness.</param>
public sealed record NodeSettings(string Name, NodeRole Role)
{
    internal static NodeSettings Create(SettingsReader r)
    {
        var name = r.String("name");
        if (string.IsNullOrWhiteSpace(name))
            throw r.Error("name", name, "a non-empty name is required");
        return new NodeSettings(name, r.Enum<NodeRole>("role"));
    }
}
