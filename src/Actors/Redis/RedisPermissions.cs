namespace RedisHaActors.Redis;

/// <summary>
/// The Redis commands the coordinator runs beyond PING and INFO (which every check needs), what each
/// missing one disables, and how to grant it. Pure: the node (<see cref="IRedisNode.CheckPermissionsAsync"/>)
/// finds out which the server refuses, this class says what that means in one line. A refusal is an ACL
/// <c>NOPERM</c> or an <c>unknown command</c> (renamed or disabled by <c>rename-command</c>).
/// </summary>
public static class RedisPermissions
{
    /// <summary>A command the server refused.</summary>
    /// <param name="Command">One of <see cref="Checked"/>'s commands, e.g. "CONFIG SET".</param>
    /// <param name="Reason">The server's answer, one line.</param>
    /// <param name="Renamed">Unknown to the server (rename-command) rather than denied by the ACL.</param>
    public sealed record Refusal(string Command, string Reason, bool Renamed);

    /// <summary>A command the coordinator uses, its ACL grant, and what is lost without it.</summary>
    /// <param name="Command">The command as sent, e.g. "CONFIG SET".</param>
    /// <param name="Grant">The ACL rule that allows it (Redis 6.2 and 7.x syntax), e.g. "+config|set".</param>
    /// <param name="Disables">What this node cannot do without it.</param>
    /// <param name="Fence">Without it the node cannot keep a fence it would otherwise claim (shown in status).</param>
    /// <param name="GuardedOnly">Only a guarded node loses <paramref name="Disables"/> (the min-replicas self-fence).</param>
    /// <param name="MasterAuth">Needed to set a replica's masterauth/masteruser (left to redis.conf without it).</param>
    public sealed record Need(string Command, string Grant, string Disables, string Fence, bool GuardedOnly = false, bool MasterAuth = false);

    /// <summary>The commands checked at start, each in a harmless form by the node.
    /// Not checked: CLIENT UNPAUSE (no harmless form on 7.x; without it a hand-over's pause ends by itself
    /// after the hand-over limit), PING and INFO (the health check fails without them).</summary>
    public static IReadOnlyList<Need> Checked { get; } =
    [
        new("REPLICAOF", "+replicaof",
            "no role change is possible (this node can neither promote its Redis nor make it a replica)", "no role change possible"),
        new("CONFIG SET", "+config|set",
            "the min-replicas self-fence is off (a frozen, cut-off master stays writable until its clients notice)",
            "min-replicas self-fence off", GuardedOnly: true, MasterAuth: true),
        new("CONFIG GET", "+config|get", "", "", MasterAuth: true),
        new("CLIENT PAUSE", "+client|pause",
            "the hand-over write pause is off (writes reaching the old master during a promotion's catch-up can be lost)", "hand-over write pause off"),
        new("CLIENT KILL", "+client|kill",
            "the old master's clients are not disconnected after a hand-over (they see READONLY until they reconnect by themselves)", ""),
    ];

    /// <summary>
    /// The least ACL for the coordinator's own Redis user (redis-ha.redis.user), Redis 6.2 and 7.x: no keys,
    /// no channels, only the commands it sends. PING and INFO (the check), REPLICAOF (every role change),
    /// CONFIG SET (min-replicas-to-write / -max-lag; masterauth / masteruser unless CONFIG GET shows that
    /// redis.conf names another masteruser, an operator's dedicated replication user), CLIENT PAUSE / UNPAUSE / KILL
    /// (the hand-over), ECHO, CLIENT SETNAME and CLIENT ID (the client library's handshake: it cannot connect
    /// without ECHO, and logs a denial for each of the other two).
    /// Replication needs its own user on the master (masteruser/masterauth in the replica's redis.conf):
    /// <see cref="ReplicationAcl"/>.
    /// </summary>
    public const string CoordinatorAcl =
        "resetkeys resetchannels -@all +ping +info +replicaof +config|set +config|get +client|pause +client|unpause +client|kill +echo +client|setname +client|id";

    /// <summary>The least ACL for the user a replica authenticates as to its master (masteruser).</summary>
    public const string ReplicationAcl = "resetkeys resetchannels -@all +psync +replconf +ping";

    /// <summary>Whether a server error reply refuses the command itself: <c>NOPERM</c> (ACL) or
    /// <c>unknown command</c> (renamed or disabled); any other error means the command ran.</summary>
    /// <param name="reply">The server's error reply.</param>
    public static bool IsRefusal(string reply) =>
        reply.StartsWith("NOPERM", StringComparison.Ordinal) || reply.Contains("unknown command", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the refusal is a renamed or disabled command rather than an ACL denial.</summary>
    /// <param name="reply">A refusing error reply (<see cref="IsRefusal"/>).</param>
    public static bool IsRenamed(string reply) => !reply.StartsWith("NOPERM", StringComparison.Ordinal);

    /// <summary>A refused command's reason with the permission to grant, one line.</summary>
    /// <param name="reply">The server's refusing reply.</param>
    /// <param name="command">The command word, e.g. "CONFIG".</param>
    /// <param name="subcommand">Its first argument (the subcommand for CONFIG and CLIENT).</param>
    /// <param name="user">The configured ACL user; empty = "default".</param>
    public static string Explain(string reply, string command, string subcommand, string user)
    {
        var name = command.ToUpperInvariant() is "CONFIG" or "CLIENT" ? $"{command.ToUpperInvariant()} {subcommand.ToUpperInvariant()}" : command.ToUpperInvariant();
        return IsRenamed(reply)
            ? $"{command.ToUpperInvariant()} is renamed or disabled on this server ({reply}); undo its rename-command"
            : $"redis user '{Shown(user)}' may not run {name} ({reply}); grant {Grant(name)}";
    }

    /// <summary>
    /// The one line logged after the check: what is missing, what that disables, how to fix it; or that
    /// every checked command is allowed.
    /// </summary>
    /// <param name="user">The configured ACL user; empty = "default".</param>
    /// <param name="refused">What the server refused.</param>
    /// <param name="guarded">The node runs the cluster guard (only then is the self-fence used).</param>
    public static string Summary(string user, IReadOnlyList<Refusal> refused, bool guarded)
    {
        if (refused.Count == 0)
            return $"redis user '{Shown(user)}' may run every command the coordinator uses ({string.Join(", ", Checked.Select(n => n.Command))})";
        var needs = refused.Select(r => (r, n: Checked.First(n => n.Command == r.Command))).ToList();
        var disables = needs.Where(x => x.n.Disables.Length > 0 && (guarded || !x.n.GuardedOnly)).Select(x => x.n.Disables).ToList();
        if (needs.Any(x => x.n.MasterAuth))
            disables.Add("the coordinator does not set masterauth/masteruser (a password-protected replica needs them in its redis.conf)");
        var grant = needs.Where(x => !x.r.Renamed).Select(x => x.n.Grant).ToList();
        var undo = needs.Where(x => x.r.Renamed).Select(x => x.n.Command.Split(' ')[0]).Distinct().ToList();
        var fix = string.Join("; ", new[]
        {
            grant.Count > 0 ? $"grant {string.Join(' ', grant)}" : "",
            undo.Count > 0 ? $"undo rename-command {string.Join(", ", undo)}" : "",
        }.Where(s => s.Length > 0));
        return $"redis user '{Shown(user)}' may not run {string.Join(", ", needs.Select(x => x.n.Command))}: {string.Join("; ", disables)}; {fix}";
    }

    /// <summary>The fences this node cannot keep, for status ("" when it keeps every fence it claims).</summary>
    /// <param name="refused">What the server refused.</param>
    /// <param name="guarded">The node runs the cluster guard.</param>
    public static string FenceUnavailable(IReadOnlyList<Refusal> refused, bool guarded) =>
        string.Join("; ", refused
            .Select(r => Checked.First(n => n.Command == r.Command))
            .Where(n => n.Fence.Length > 0 && (guarded || !n.GuardedOnly))
            .Select(n => $"{n.Fence} ({n.Command} refused)"));

    /// <summary>Whether <paramref name="command"/> (e.g. "CONFIG SET") is among the refused.</summary>
    /// <param name="refused">What the server refused; null while unknown (then false).</param>
    /// <param name="command">A <see cref="Checked"/> command.</param>
    public static bool Refuses(IReadOnlyList<Refusal>? refused, string command) => refused?.Any(r => r.Command == command) ?? false;

    private static string Grant(string name) =>
        Checked.FirstOrDefault(n => n.Command == name)?.Grant ?? "+" + name.ToLowerInvariant().Replace(' ', '|');

    private static string Shown(string user) => user.Length == 0 ? "default" : user;
}
