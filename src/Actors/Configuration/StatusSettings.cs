using System.Net;

namespace RedisHaActors.Configuration;

/// <summary>The <c>redis-ha.status</c> section: the local status endpoint.</summary>
/// <param name="Listen">Address and port of the HTTP endpoint, or null when disabled (<c>listen = ""</c>).</param>
public sealed record StatusSettings(IPEndPoint? Listen)
{
    internal static StatusSettings Create(SettingsReader r)
    {
        var listen = r.String("listen").Trim();
        if (listen.Length == 0) return new StatusSettings((IPEndPoint?)null);
        if (!IPEndPoint.TryParse(listen, out var endpoint) || endpoint.Port == 0)
            throw r.Error("listen", listen, "an address:port like 127.0.0.1:9680, or \"\" to disable");
        return new StatusSettings(endpoint);
    }
}
