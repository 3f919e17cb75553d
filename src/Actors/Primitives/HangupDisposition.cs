using Tmds.Linux;

namespace RedisHaActors.Primitives;

/// <summary>
/// SIGHUP's disposition as the process inherited it. A parent that ignores SIGHUP (<c>nohup</c>, some process
/// supervisors) passes SIG_IGN on through exec, and .NET then never installs a handler for a
/// <see cref="System.Runtime.InteropServices.PosixSignalRegistration"/> of it: a reload signal would be dropped with no
/// trace. sigaction(2).
/// </summary>
public static class HangupDisposition
{
    /// <summary>
    /// Sets SIGHUP back to SIG_DFL when it was inherited as SIG_IGN, so that a handler registered next is installed.
    /// Call it right before registering the handler (SIGHUP between the two would end the process, as SIG_DFL does).
    /// </summary>
    /// <returns>True when SIGHUP was ignored and is no longer; false when it was not ignored, or on a failed sigaction
    /// (nothing changed then).</returns>
    public static unsafe bool RestoreIfIgnored()
    {
        sigaction current;
        if (LibC.sigaction(LibC.SIGHUP, null, &current) != 0 || current.sa_handler != LibC.SIG_IGN) return false;
        sigaction dfl = default;
        dfl.sa_handler = LibC.SIG_DFL;
        return LibC.sigaction(LibC.SIGHUP, &dfl, null) == 0;
    }
}
