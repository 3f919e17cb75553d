namespace RedisHaActors.Control;

/// <summary>
/// Asks the node supervisor to re-read its node file (SIGHUP, <c>POST /reload</c>) and apply what
/// <see cref="Configuration.ReloadPlan"/> allows at runtime. Answered with a <see cref="ControlResult"/>:
/// refused (the running configuration stays) when the file does not load.
/// </summary>
public sealed record Reload
{
    /// <summary>The single instance.</summary>
    public static Reload Instance { get; } = new();
}

/// <summary>The outcome of a control request other than a switchover (reload, pause, resume).</summary>
/// <param name="Done">True when done; false when refused (nothing changed then).</param>
/// <param name="Message">One line for the operator.</param>
public sealed record ControlResult(bool Done, string Message);
