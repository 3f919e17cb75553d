using System.Diagnostics;

namespace RedisHaActors.Coordinator;

/// <summary>
/// Start-up conditions that pass by themselves (an address DHCP has not given yet, a host name not
/// yet in DNS) are waited for, not exits: the documented systemd unit restarts only on failure
/// and a boot race is not one. Checked every <see cref="Poll"/>, said once and then every
/// <see cref="LogEvery"/>, for as long as it takes (until the process is asked to stop).
/// </summary>
internal static class StartupWait
{
    /// <summary>How often the condition is checked again: 1 s.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>How often a wait that goes on is logged again: 30 s.</summary>
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);

    /// <summary>Waits until <paramref name="problem"/> returns null.</summary>
    /// <param name="problem">The condition's current problem, one line; null once it passed.</param>
    /// <param name="what">What is waited for, for the log ("an IPv4 address on eth0").</param>
    /// <param name="ct">Stops the wait (SIGTERM).</param>
    /// <returns>True once the condition passed; false when stopped first.</returns>
    public static async Task<bool> UntilAsync(Func<string?> problem, string what, CancellationToken ct)
    {
        if (problem() is not { } first) return true;
        Console.Error.WriteLine($"redis-ha: {first}; waiting for {what} (checked every {Poll.TotalSeconds:0} s)");
        var sinceLog = Stopwatch.StartNew();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Poll, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            if (problem() is not { } still)
            {
                Console.Error.WriteLine($"redis-ha: {what}: there now, starting");
                return true;
            }
            if (sinceLog.Elapsed < LogEvery) continue;
            Console.Error.WriteLine($"redis-ha: still waiting for {what}: {still}");
            sinceLog.Restart();
        }
        return false;
    }
}
