using System.Security.Cryptography;
using System.Text;

namespace RedisHaActors.Configuration;

/// <summary>
/// A secret read from the configuration (the control API's token). Its <see cref="ToString"/> is
/// <c>***</c>, so a settings record that holds one can be printed or logged whole; the value
/// itself comes out only through <see cref="Reveal"/>, at the one place that sends it.
/// </summary>
public sealed class Secret
{
    private readonly string _value;

    /// <summary>Wraps <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is empty.</exception>
    public Secret(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = value;
    }

    /// <summary>The secret itself: for the one place that sends it (an HTTP header), never for a log.</summary>
    public string Reveal() => _value;

    /// <summary>
    /// Whether <paramref name="candidate"/> is this secret. Compares SHA-256 digests in fixed time,
    /// so neither the time taken nor an early mismatch tells a guesser how much was right.
    /// </summary>
    public bool Matches(string? candidate)
    {
        if (candidate is null) return false;
        Span<byte> expected = stackalloc byte[32];
        Span<byte> given = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(_value), expected);
        SHA256.HashData(Encoding.UTF8.GetBytes(candidate), given);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>Always <c>***</c>.</summary>
    public override string ToString() => "***";
}
