namespace RedisHaActors.Tests.Lab;

/// <summary>redis-server in the node namespaces (lab.sh starts it; port 6379, data under OutDir) and redis-cli against it.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>Starts redis-server in node's namespace; <paramref name="extra"/> are more redis-server arguments.</summary>
    public void StartRedis(int node, params string[] extra) => Lab(["lab_redis_start", Prefix, node.ToString(), OutDir, .. extra]);

    /// <summary>
    /// Starts a second redis-server in node's namespace on <paramref name="port"/>, a replica of the
    /// node's own Redis: an extra replica on the master's host (a disaster-recovery copy, a backup
    /// job). Dispose's lab_down kills it with every other process of the namespace.
    /// </summary>
    public void StartExtraReplica(int node, int port)
    {
        var dir = Directory.CreateDirectory(Path.Combine(OutDir, $"redis-n{node}-{port}")).FullName;
        Run("ip", ["netns", "exec", Ns(node), LabBinaries.RedisServer, "--port", port.ToString(), "--bind", "0.0.0.0",
            "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "yes",
            "--dir", dir, "--logfile", Path.Combine(dir, "redis.log"), "--replicaof", $"192.0.2.{node}", "6379"]);
    }

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
