using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace RedisHaActors.Tests.Lab;

/// <summary>
/// Where every node's log stood when a fault started (<see cref="NamespaceLab.LogMark"/>), so the role changes and VIP
/// moves the fault caused can be counted afterwards, across restarts of a node (its new log is counted whole).
/// </summary>
public sealed class LogMark
{
    private readonly Dictionary<int, (StringBuilder Log, int Length)> _at;

    internal LogMark(Dictionary<int, (StringBuilder Log, int Length)> at) => _at = at;

    /// <summary>What the logs gained since the mark: the old log's tail and, for a node restarted since, its new log.</summary>
    internal IEnumerable<string> Since(IReadOnlyDictionary<int, StringBuilder> now)
    {
        foreach (var (node, log) in now)
        {
            if (_at.TryGetValue(node, out var then))
            {
                lock (then.Log) yield return then.Log.ToString(then.Length, then.Log.Length - then.Length);
                if (ReferenceEquals(then.Log, log)) continue;
            }
            lock (log) yield return log.ToString();
        }
    }
}

/// <summary>
/// One fault's figures as the issue asks for them, printed as one <c>fault-figure:</c> line that
/// <c>bench/faults.sh</c> collects into its table: time with two writable masters, acknowledged writes lost (of those
/// acknowledged), the longest write outage, Redis role changes and VIP moves since the fault started.
/// </summary>
/// <param name="Kind">The fault kind, one word or a few joined by '-' (e.g. <c>misconf</c>).</param>
/// <param name="Mode">"guard-on" (2 data nodes + witness), "guard-off" (2 nodes) or "two-voters".</param>
public sealed record FaultFigure(string Kind, string Mode)
{
    /// <summary>Total time both Redis accepted writes, ms (<c>DualWritable.TotalMs</c> of the samplers); null where the
    /// test runs no samplers (printed "-").</summary>
    public long? TwoWritableMs { get; init; }

    /// <summary>Acknowledged writes missing at the end.</summary>
    public int Lost { get; init; }

    /// <summary>Writes acknowledged in all, the base of <see cref="Lost"/>.</summary>
    public int Acked { get; init; }

    /// <summary>The longest time without an acknowledged write, ms (the VIP writer's, or the sampler of the node that
    /// took over); null where the fault's right outcome is no outage measured this way.</summary>
    public long? OutageMs { get; init; }

    /// <summary>Redis role changes the coordinators made (promotions, REPLICAOF, fences).</summary>
    public int RoleChanges { get; init; }

    /// <summary>VRRP transitions to MASTER (a VIP taken by a node).</summary>
    public int VipMoves { get; init; }

    /// <summary>The samplers' acknowledged writes on <paramref name="nodes"/> and those missing on the final master's Redis
    /// (the single VIP holder, waited for: a node may be preempting back right now); each sampler writes its own node's Redis.</summary>
    public static (int Lost, int Acked) SamplerLoss(NamespaceLab lab, params int[] nodes) =>
        (nodes.Sum(n => SamplerMissing(lab, n).Count), nodes.Sum(n => lab.AcceptedAttempts(n).Count));

    /// <summary>How many of a sampler's <paramref name="lost"/> attempts (<c>ProbeKeys.Missing</c>) were made later than the
    /// self-fence window after <paramref name="faultMs"/> (<c>MasterFence.SelfFenceTime</c> plus 1 s of sampler timing): a
    /// cut-off master's Redis may acknowledge writes until its fence refuses them, never after.</summary>
    public static int LostAfterFence(IReadOnlyList<LabWriter.Analysis.Sample> samples, IReadOnlyList<long> lost, long faultMs)
    {
        var bound = faultMs + (long)(RedisHaActors.Redis.MasterFence.SelfFenceTime.TotalMilliseconds + 1000);
        return lost.Count(n => samples[(int)n - 1].Ms > bound);
    }

    /// <summary>The sampler of <paramref name="node"/>'s acknowledged writes missing on the single VIP holder's Redis.</summary>
    public static IReadOnlyList<long> SamplerMissing(NamespaceLab lab, int node)
    {
        var master = 0;
        lab.WaitUntil(() => lab.VipHolders() is [var only] && (master = only) > 0, TimeSpan.FromSeconds(30), "one VIP holder to count lost writes on");
        var present = lab.RedisCli(master, "keys", NamespaceLab.SamplePrefix(node) + ":*")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        return LabWriter.Analysis.ProbeKeys.Missing(lab.SamplerLog(node), NamespaceLab.SamplePrefix(node), present);
    }

    /// <summary>The figure with <see cref="RoleChanges"/> and <see cref="VipMoves"/> counted in the logs since <paramref name="mark"/>.</summary>
    public FaultFigure CountedSince(NamespaceLab lab, LogMark mark)
    {
        var logs = lab.LogsSince(mark).ToList();
        return this with
        {
            RoleChanges = logs.Sum(l => NamespaceLab.Occurrences(l, "redis role: ")),
            VipMoves = logs.Sum(l => NamespaceLab.Occurrences(l, " -> MASTER: ")),
        };
    }

    /// <summary>The line bench/faults.sh reads.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"fault-figure: kind={Kind} mode={Mode} two-writable-ms={Text(TwoWritableMs)} lost={Lost} acked={Acked} " +
        $"outage-ms={Text(OutageMs)} role-changes={RoleChanges} vip-moves={VipMoves}");

    private static string Text(long? ms) => ms?.ToString(CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Writes the line to the test's output.</summary>
    public void Print(ITestOutputHelper output) => output.WriteLine(ToString());
}
