using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RedisHaActors.Hosting;

/// <summary>
/// Hands freed native heap back to the kernel with glibc's <c>malloc_trim(0)</c>, 30 s after start
/// and then once a minute.
/// </summary>
/// <remarks>
/// Startup (the JIT, Akka's configuration, the first connections) frees several MB of native heap
/// that glibc keeps: it only returns memory from the top of the heap, and these holes are below
/// live blocks. A node then idles for months with that memory resident; the trim cut an idle node's
/// RSS by about 8 MB (bench/idle.sh). A trim of a heap this size takes well under a millisecond.
/// Without glibc (musl) there is no <c>malloc_trim</c>: the first attempt logs that once and stops.
/// </remarks>
public sealed partial class NativeHeapTrimmer(ILogger<NativeHeapTrimmer> log) : BackgroundService
{
    /// <summary>Delay before the first trim, after the startup work has freed its memory.</summary>
    public static readonly TimeSpan FirstTrim = TimeSpan.FromSeconds(30);

    /// <summary>Interval between later trims (tiered JIT and reconnects free memory later too).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Runs <c>malloc_trim(0)</c> (glibc, malloc_trim(3)).</summary>
    /// <returns>True when memory was returned to the kernel, false when there was nothing to return,
    /// null when the C library has no <c>malloc_trim</c>.</returns>
    public static bool? Trim()
    {
        try
        {
            return MallocTrim(0) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstTrim, stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(Interval);
            var first = true;
            do
            {
                var before = ResidentMegabytes();
                if (Trim() is null)
                {
                    log.LogInformation("malloc_trim is not available (the C library is not glibc); freed native heap is not trimmed");
                    return;
                }
                var after = ResidentMegabytes();
                if (first)
                    log.LogInformation("Native heap trimmed: RSS {Before:F1} -> {After:F1} MB", before, after);
                else
                    log.LogDebug("Native heap trimmed: RSS {Before:F1} -> {After:F1} MB", before, after);
                first = false;
            } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        catch (Exception e)
        {
            // An optional saving: a failure here must not stop the host (BackgroundService's default).
            log.LogWarning("native heap trimming stopped: {Error}", e.Message);
        }
    }

    /// <summary>RSS from /proc/self/statm (Environment.WorkingSet would load System.Diagnostics.Process for it); NaN if unreadable.</summary>
    private static double ResidentMegabytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1048576.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
