using System.Runtime.CompilerServices;

namespace RedisHaActors.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// TestKit's blocking expectations hold pool threads; on a 2-core machine the pool then adds
    /// threads only every ~0.5 s, which would stall the actors' timers and fail tests for no
    /// product reason. The coordinator raises the minimum the same way.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseThreadPoolMinimum()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);
    }
}
