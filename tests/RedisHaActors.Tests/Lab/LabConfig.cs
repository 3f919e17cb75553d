using System.Globalization;
using System.Text;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// The config texts the lab writes: a redis-ha node's HOCON, its Akka cluster part, keepalived's
/// config. Pure: text only, no files, no processes. Addresses follow lab/lab.sh: node i is
/// 192.0.2.i on eth0, the VIP is 192.0.2.100/24.
/// </summary>
public static class LabConfig
{
    /// <summary>The VRRP virtual address of every lab node's config (lab.sh's LAB_VIP_DEFAULT).</summary>
    public const string Vip = "192.0.2.100";

    /// <summary>Akka remoting port of every lab node (each node has its own namespace, so one port).</summary>
    public const int AkkaPort = 4053;

    /// <summary>
    /// A node's config: name n{node}, VRID 51 on eth0, the VIP, 200 ms adverts, 200 ms Redis checks
    /// (rise 2, fall 2, weight -20), sync-timeout 5 s, announce-host 192.0.2.node; then
    /// <paramref name="extra"/> HOCON, appended last so it overrides any of these.
    /// </summary>
    /// <param name="node">Node index, 1..99.</param>
    /// <param name="priority">VRRP priority, 1..254.</param>
    /// <param name="preempt">VRRP preempt mode.</param>
    /// <param name="extra">More HOCON (may be empty).</param>
    public static string NodeHocon(int node, int priority, bool preempt, string extra = "")
    {
        CheckNode(node);
        return $$"""
            redis-ha {
              node { name = "n{{node}}" }
              vrrp {
                interface = "eth0"
                virtual-router-id = 51
                priority = {{priority}}
                advert-interval = 200ms
                preempt = {{(preempt ? "on" : "off")}}
                virtual-ipaddress = ["{{Vip}}/24"]
              }
              redis {
                announce-host = "192.0.2.{{node}}"
                check { interval = 200ms, timeout = 200ms, rise = 2, fall = 2, weight = -20 }
                sync-timeout = 5s
              }
            }
            {{extra}}
            """;
    }

    /// <summary>
    /// HOCON to pass as a node's <c>extra</c>: Akka remoting on 192.0.2.node:4053, seed nodes
    /// 192.0.2.1..voters (the voters), for a witness <c>redis-ha.node.role = witness</c>, and TLS when
    /// <paramref name="tlsDir"/> is given.
    /// </summary>
    /// <param name="node">Node index, 1..99.</param>
    /// <param name="voters">Number of voters (nodes 1..voters are the seeds), 1..99.</param>
    /// <param name="witness">Whether this node is a witness (no Redis).</param>
    /// <param name="tlsDir">Directory of lab.sh's <c>lab_certs</c> (<c>ca.crt</c>, <c>n{node}.crt</c>, <c>n{node}.key</c>):
    /// mutual TLS on the cluster port with those files; null = plain TCP.</param>
    public static string ClusterHocon(int node, int voters, bool witness, string? tlsDir = null)
    {
        CheckNode(node);
        ArgumentOutOfRangeException.ThrowIfLessThan(voters, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(voters, 99);
        var seeds = string.Join(", ", Enumerable.Range(1, voters).Select(i => $"\"akka.tcp://redis-ha@192.0.2.{i}:{AkkaPort}\""));
        var sb = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"akka.remote.dot-netty.tcp {{ hostname = \"192.0.2.{node}\", port = {AkkaPort} }}\n")
            .Append(CultureInfo.InvariantCulture, $"akka.cluster.seed-nodes = [{seeds}]\n");
        if (witness) sb.Append("redis-ha.node.role = witness\n");
        if (tlsDir is not null)
            sb.Append(CultureInfo.InvariantCulture, $"redis-ha.cluster.tls {{ enabled = on, ca-file = \"{tlsDir}/ca.crt\", " +
                                                    $"cert-file = \"{tlsDir}/n{node}.crt\", key-file = \"{tlsDir}/n{node}.key\" }}\n");
        return sb.ToString();
    }

    /// <summary>
    /// keepalived.conf: <c>global_defs { router_id ROUTER_ID; globalDefs }</c> and
    /// <c>vrrp_instance VI_1 { vrrpInstanceBody }</c>, nothing else (no vrrp_script).
    /// </summary>
    public static string KeepalivedConf(string routerId, string vrrpInstanceBody, string globalDefs = "") => $$"""
        # written by the namespace lab (LabConfig.KeepalivedConf)
        global_defs {
            router_id {{routerId}}
        {{globalDefs}}
        }
        vrrp_instance VI_1 {
        {{vrrpInstanceBody}}
        }

        """;

    private static void CheckNode(int node)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, 99);
    }
}
