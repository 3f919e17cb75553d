namespace RedisHaActors.Configuration;

/// <summary>
/// A configuration value that cannot be used. <see cref="Exception.Message"/> is one line that
/// names the full key, the bad value and what is allowed, e.g.
/// <c>redis-ha.vrrp.priority = 300: allowed 1..254</c>.
/// </summary>
public sealed class ConfigurationException : Exception
{
    /// <summary>Creates the error for <paramref name="key"/>.</summary>
    /// <param name="key">Full HOCON path, e.g. <c>redis-ha.vrrp.priority</c>; the file path for an unreadable file.</param>
    /// <param name="value">The offending value as written, or null when the key is missing.</param>
    /// <param name="allowed">What would be accepted, e.g. <c>1..254</c>.</param>
    public ConfigurationException(string key, string? value, string allowed)
        : base(value is null ? $"{key}: {allowed}" : $"{key} = {value}: {allowed}")
    {
        Key = key;
        Value = value;
        Allowed = allowed;
    }

    /// <summary>Full HOCON path of the bad key.</summary>
    public string Key { get; }

    /// <summary>The bad value as written, or null.</summary>
    public string? Value { get; }

    /// <summary>Human-readable description of the accepted values.</summary>
    public string Allowed { get; }
}
