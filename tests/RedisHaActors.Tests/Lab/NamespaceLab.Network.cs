namespace RedisHaActors.Tests.Lab;

/// <summary>The lab's network: lab.sh calls, namespace names, the VIP as the client sees it.</summary>
public sealed partial class NamespaceLab
{
    /// <summary>Runs a lab.sh function; returns stdout. Throws on a non-zero exit.</summary>
    public string Lab(params string[] args) => Run("bash", [Path.Combine(RepoRoot, "lab/lab.sh"), .. args]);

    /// <summary>Node <paramref name="node"/>'s namespace name (lab.sh's <c>lab_ns PREFIX i</c>).</summary>
    private string Ns(int node) => $"{Prefix}n{node}";

    /// <summary>The client namespace's name (192.0.2.250).</summary>
    private string ClientNs => Prefix + "c";

    /// <summary>redis-cli from the client namespace against the VIP; returns the reply or the error text.</summary>
    public string WriteThroughVip(string key, string value)
    {
        try
        {
            return Run("ip", ["netns", "exec", ClientNs, "timeout", "2", LabBinaries.RedisCli, "-h", LabConfig.Vip, "SET", key, value], TimeSpan.FromSeconds(5), check: false).Trim();
        }
        catch (TimeoutException)
        {
            return "timeout";
        }
    }

    /// <summary>The nodes (indexes, ascending) whose eth0 carries the VIP now.</summary>
    public int[] VipHolders() => Lab("lab_vip_holders", Prefix, _size.ToString())
        .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
}
