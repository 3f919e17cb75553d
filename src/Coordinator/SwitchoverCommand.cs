using System.Net;

namespace RedisHaActors.Coordinator;

/// <summary>
/// <c>redis-ha switchover --to NODE</c>: asks the running master (through its local endpoint,
/// <c>POST /switchover?to=NODE</c>, no body) to hand the VIP and the Redis master role to NODE
/// without losing a write (<see cref="ControlCommand"/>: token, exit codes).
/// </summary>
internal static class SwitchoverCommand
{
    public static Task<int> RunAsync(string to, FileInfo? config, IPEndPoint? endpoint, CancellationToken ct) =>
        // The node bounds the wait itself (the catch-up, then the hand-over: twice sync-timeout, at
        // most 10 min each, plus seconds); this is a backstop.
        ControlCommand.RunAsync("switchover", $"/switchover?to={Uri.EscapeDataString(to)}", config, endpoint, TimeSpan.FromMinutes(21),
            "run it on the master's host, with redis-ha.status.listen at this address", ct);
}
