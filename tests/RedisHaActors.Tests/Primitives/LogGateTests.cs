using RedisHaActors.Primitives;

namespace RedisHaActors.Tests.Primitives;

/// <summary><see cref="LogGate{TKey}"/>: one line per key per interval, a bounded table.</summary>
public sealed class LogGateTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_key_logs_once_per_interval_and_keys_are_independent()
    {
        var gate = new LogGate<string>(Minute, capacity: 8);
        var t = TimeSpan.FromHours(1);
        Assert.True(gate.Due("192.0.2.7", t));
        Assert.False(gate.Due("192.0.2.7", t + TimeSpan.FromSeconds(59)));
        Assert.True(gate.Due("192.0.2.8", t + TimeSpan.FromSeconds(59)));
        Assert.True(gate.Due("192.0.2.7", t + Minute));
        Assert.False(gate.Due("192.0.2.7", t + Minute + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void When_full_a_new_key_logs_only_once_a_remembered_one_has_expired()
    {
        var gate = new LogGate<int>(Minute, capacity: 2);
        var t = TimeSpan.FromHours(1);
        Assert.True(gate.Due(1, t));
        Assert.True(gate.Due(2, t + TimeSpan.FromSeconds(30)));
        Assert.False(gate.Due(3, t + TimeSpan.FromSeconds(40)));
        // Key 1 has expired: its place goes to 3; key 2 is still remembered (and quiet).
        Assert.True(gate.Due(3, t + Minute));
        Assert.False(gate.Due(2, t + Minute));
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(60, 0)]
    public void Limits_out_of_range_are_a_programming_error(int seconds, int capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogGate<string>(TimeSpan.FromSeconds(seconds), capacity));
    }
}
