namespace RedisHaActors.Redis;

/// <summary>
/// Rise/fall/weight scoring of the local Redis check, like keepalived's <c>vrrp_script</c>.
/// Pure and immutable. A node starts unhealthy and needs one pass (keepalived starts a script
/// at rise-1), then <c>fall</c> consecutive failures make it unhealthy and <c>rise</c>
/// consecutive passes healthy again.
/// </summary>
/// <param name="Healthy">Current verdict; only a healthy node is eligible for MASTER.</param>
/// <param name="Passes">Consecutive passes so far (0 after a failure).</param>
/// <param name="Failures">Consecutive failures so far (0 after a pass).</param>
/// <param name="LastError">Last failure reason, "" when none.</param>
public sealed record HealthScore(bool Healthy, int Passes, int Failures, string LastError)
{
    /// <summary>The state before the first check: unhealthy, one pass away from healthy.</summary>
    /// <param name="rise">Passes needed to become healthy, 1..100.</param>
    public static HealthScore Initial(int rise) => new(false, rise - 1, 0, "not checked yet");

    /// <summary>Applies one check result.</summary>
    /// <param name="passed">The check passed.</param>
    /// <param name="error">Failure reason when <paramref name="passed"/> is false.</param>
    /// <param name="rise">Passes needed to become healthy, 1..100.</param>
    /// <param name="fall">Failures needed to become unhealthy, 1..100.</param>
    public HealthScore Apply(bool passed, string error, int rise, int fall)
    {
        if (passed)
        {
            var passes = Passes + 1;
            var healthy = Healthy || passes >= rise;
            return new HealthScore(healthy, passes, 0, healthy ? "" : LastError);
        }
        var failures = Failures + 1;
        return new HealthScore(Healthy && failures < fall, 0, failures, error);
    }

    /// <summary>
    /// Effective priority: keepalived adds a negative weight while the check fails and a positive
    /// weight while it passes; clamped to 1..254 so a weighted node never claims owner (255) or leaving (0).
    /// </summary>
    public byte EffectivePriority(byte basePriority, int weight)
    {
        var p = basePriority + (weight < 0 ? (Healthy ? 0 : weight) : (Healthy ? weight : 0));
        return (byte)Math.Clamp(p, 1, 254);
    }
}
