using System.Text;

namespace RedisHaActors.Configuration;

/// <summary>VRRPv2 authentication (RFC 3768 §5.3.6; RFC 2338 type 1, simple text password).</summary>
public enum VrrpAuthenticationType
{
    /// <summary>Auth Type 0: no authentication.</summary>
    None = 0,
    /// <summary>Auth Type 1: an 8-byte clear-text password in every advert (keepalived's PASS).</summary>
    Pass = 1,
}

/// <summary>The <c>redis-ha.vrrp.authentication</c> section.</summary>
/// <param name="Type">none or pass.</param>
/// <param name="Password">PASS: the password as carried on the wire, at most 8 bytes (zero-padded when sent).</param>
public sealed record VrrpAuthentication(VrrpAuthenticationType Type, byte[] Password)
{
    /// <summary>No authentication.</summary>
    public static VrrpAuthentication None { get; } = new(VrrpAuthenticationType.None, []);

    /// <summary>The 8 bytes of Authentication Data as sent (password zero-padded; zeros for none).</summary>
    public byte[] AuthenticationData()
    {
        var data = new byte[8];
        Password.AsSpan(0, Math.Min(8, Password.Length)).CopyTo(data);
        return data;
    }

    /// <summary>Passwords never reach logs.</summary>
    public override string ToString() => $"VrrpAuthentication {{ Type = {Type}, Password = {(Password.Length > 0 ? "***" : "")} }}";

    /// <summary>Value equality over the password bytes.</summary>
    public bool Equals(VrrpAuthentication? other) => other is not null && Type == other.Type && Password.AsSpan().SequenceEqual(other.Password);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, Password.Length);

    internal static VrrpAuthentication Create(SettingsReader r, int version, List<string> warnings)
    {
        var type = r.Enum<VrrpAuthenticationType>("type");
        var password = r.String("password");
        if (type == VrrpAuthenticationType.None)
        {
            if (password.Length > 0)
                throw r.Error("password", "***", "only with type = pass (set type = pass or remove the password)");
            return None;
        }
        if (version == 3)
            throw r.Error("type", "pass", "VRRPv3 has no authentication (RFC 5798 §9): use type = none, or version = 2");
        var bytes = Encoding.UTF8.GetBytes(password);
        if (bytes.Length == 0)
            throw r.Error("password", "\"\"", "1..8 bytes with type = pass");
        if (bytes.Length > 8)
        {
            // keepalived keeps the first 8 bytes; doing the same keeps both sides in agreement.
            warnings.Add($"redis-ha.vrrp.authentication.password is {bytes.Length} bytes: only the first 8 are used (as keepalived does)");
            bytes = bytes[..8];
        }
        return new VrrpAuthentication(type, bytes);
    }
}
