using System.Net;

namespace RedisHaActors.Configuration;

/// <summary>The <c>redis-ha.status</c> section: the local status endpoint and its control API.</summary>
/// <param name="Listen">Address and port of the HTTP endpoint, or null when disabled (<c>listen = ""</c>).</param>
/// <param name="TokenFile">Absolute path of the file holding the control token (<c>token-file</c>); empty = none.</param>
/// <param name="Token">The bearer token that actions (<c>POST /switchover</c>) must carry; null = actions are refused.
/// Prints as <c>***</c>.</param>
public sealed record StatusSettings(IPEndPoint? Listen, string TokenFile = "", Secret? Token = null)
{
    /// <summary>Shortest token accepted, in characters: 16 (a guesser gets no useful odds; <c>openssl rand -hex 32</c> gives 64).</summary>
    public const int MinTokenLength = 16;

    /// <summary>Whether the endpoint listens on a loopback address only (or not at all).</summary>
    public bool LoopbackOnly => Listen is null || IPAddress.IsLoopback(Listen.Address);

    internal static StatusSettings Create(SettingsReader r, List<string> warnings)
    {
        var listenText = r.String("listen").Trim();
        IPEndPoint? listen = null;
        if (listenText.Length > 0 && (!IPEndPoint.TryParse(listenText, out listen) || listen.Port == 0))
            throw r.Error("listen", listenText, "an address:port like 127.0.0.1:9680, or \"\" to disable");
        var tokenFile = r.String("token-file").Trim();
        var token = SecretFile.Read(r, "token-file", warnings);
        // It travels in an HTTP header: visible ASCII only, and long enough not to be guessed.
        if (token.Length > 0 && (token.Length < MinTokenLength || token.Any(c => c is < '!' or > '~')))
            throw r.Error("token-file", tokenFile,
                $"a file holding one token of at least {MinTokenLength} visible ASCII characters, no spaces (e.g. openssl rand -hex 32 > FILE)");
        var settings = new StatusSettings(listen, tokenFile, token.Length > 0 ? new Secret(token) : null);
        if (!settings.LoopbackOnly)
        {
            // Off loopback anyone who reaches the port may ask: actions must be authenticated.
            if (settings.Token is null)
                throw r.Error("token-file", "\"\"", $"required when {r.Path}.listen ({listen}) is not a loopback address (actions need the token there)");
            warnings.Add($"{r.Path}.listen = {listen} is not a loopback address: GET /status and /metrics answer anyone who reaches it, " +
                         "and the bearer token crosses the network in clear text (plain HTTP)");
        }
        return settings;
    }
}
