using System.Net;
using System.Net.Sockets;

namespace RedisHaActors.Configuration;

/// <summary>One IPv4 virtual address with its prefix length, as written in
/// <c>virtual-ipaddress</c> ("192.0.2.100/24").</summary>
/// <param name="Address">The IPv4 address.</param>
/// <param name="PrefixLength">0..32; a bare address means /32 like keepalived.</param>
public sealed record VirtualAddress(IPAddress Address, int PrefixLength)
{
    /// <summary>Parses "a.b.c.d[/len]" strictly (four decimal octets 0..255).</summary>
    /// <returns>false for anything else (IPv6, hostnames, 192.0.2.300).</returns>
    public static bool TryParse(string text, out VirtualAddress? result)
    {
        result = null;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2) return false;
        var octets = parts[0].Split('.');
        if (octets.Length != 4) return false;
        foreach (var o in octets)
            // A leading zero would be read as octal by IPAddress.TryParse (010 -> 8): refuse it.
            if (o.Length is 0 or > 3 || !o.All(char.IsAsciiDigit) || int.Parse(o) > 255 || (o.Length > 1 && o[0] == '0')) return false;
        if (!IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork) return false;
        var len = 32;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out len) || len is < 0 or > 32 || !parts[1].All(char.IsAsciiDigit)))
            return false;
        result = new VirtualAddress(ip, len);
        return true;
    }

    /// <summary>CIDR text as <c>ip addr</c> takes it.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
