namespace RedisHaActors.Tests.Lab;

/// <summary>redis-server in the node namespaces (lab.sh starts it; port 6379, data under OutDir) and redis-cli against it.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>Starts redis-server in node's namespace; <paramref name="extra"/> are more redis-server arguments.</summary>
    public void StartRedis(int node, params string[] extra) => Lab(["lab_redis_start", Prefix, node.ToString(), OutDir, .. extra]);

    /// <summary>redis-cli in node's namespace against its own Redis; returns the reply. Throws when redis-cli fails.</summary>
    public string RedisCli(int node, params string[] args) => Lab(["lab_redis_cli", Prefix, node.ToString(), .. args]);

    /// <summary>The <c>role:</c> of node's Redis, or "down".</summary>
    public string Role(int node)
    {
        try
        {
            var info = RedisCli(node, "info", "replication");
            var role = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("role:"));
            return role?["role:".Length..] ?? "down";
        }
        catch (InvalidOperationException)
        {
            return "down";
        }
    }

    /// <summary>The <c>master_host:</c> of node's Redis (a replica's), or null (a master, or down).</summary>
    public string? MasterHostOf(int node)
    {
        try
        {
            return RedisCli(node, "info", "replication").Split('\n').Select(l => l.Trim())
                .FirstOrDefault(l => l.StartsWith("master_host:"))?["master_host:".Length..];
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
