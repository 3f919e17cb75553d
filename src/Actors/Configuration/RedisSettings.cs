namespace RedisHaActors.Configuration;

/// <summary>The <c>redis-ha.redis.check</c> section, like keepalived's <c>vrrp_script</c>.</summary>
/// <param name="Interval">Time between checks, 10 ms..1 h.</param>
/// <param name="Timeout">A check slower than this fails; 10 ms..interval.</param>
/// <param name="Rise">Consecutive passes before the node is healthy again, 1..100.</param>
/// <param name="Fall">Consecutive failures before the node is unhealthy, 1..100.</param>
/// <param name="Weight">Added to the priority while unhealthy, -254..254.</param>
public sealed record RedisCheckSettings(TimeSpan Interval, TimeSpan Timeout, int Rise, int Fall, int Weight)
{
    internal static RedisCheckSettings Create(SettingsReader r)
    {
        var interval = r.Duration("interval", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), "allowed 10ms..1h");
        var timeout = r.Duration("timeout", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), "allowed 10ms..1h");
        if (timeout > interval)
            throw r.Error("timeout", r.String("timeout"), $"allowed 10ms..{r.String("interval")} (at most the check interval)");
        return new RedisCheckSettings(interval, timeout, r.Int("rise", 1, 100), r.Int("fall", 1, 100), r.Int("weight", -254, 254));
    }
}

/// <summary>The <c>redis-ha.redis</c> section: the local Redis and how peers reach it.</summary>
/// <param name="Host">Address of the local Redis for this coordinator.</param>
/// <param name="Port">1..65535.</param>
/// <param name="Password">AUTH password (from <c>password</c> or the file <c>password-file</c>); empty = none. Never printed.</param>
/// <param name="User">ACL user; empty = default user.</param>
/// <param name="AnnounceHost">Address peers use for REPLICAOF; empty = the VRRP interface address.</param>
/// <param name="Check">Health check timing and weight.</param>
/// <param name="SyncTimeout">Longest catch-up wait before promoting, 0..10 min.</param>
/// <param name="Tls">TLS to the local and the peers' Redis; null = off.</param>
/// <param name="PasswordFile">Absolute path the password was read from (<c>password-file</c>); empty = none.</param>
/// <param name="MaxLoss">Bound on the estimated loss of an automatic promotion, bytes, 0..2^40 (<c>max-loss</c>,
/// <see cref="Redis.LossBound"/>); null = off.</param>
public sealed record RedisSettings(
    string Host, int Port, string Password, string User, string AnnounceHost,
    RedisCheckSettings Check, TimeSpan SyncTimeout, RedisTlsSettings? Tls = null, string PasswordFile = "", long? MaxLoss = null)
{
    /// <summary>Bound on one command to a peer's Redis: the check timeout, but at least 500 ms, since
    /// the first command to a peer may open its connection (a refused one still fails at once).</summary>
    public TimeSpan PeerTimeout => Check.Timeout < MinPeerTimeout ? MinPeerTimeout : Check.Timeout;

    private static readonly TimeSpan MinPeerTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a hand-over pauses writes on the old master (<c>CLIENT PAUSE</c>), and how long a
    /// switchover waits for its target to take the VIP: <see cref="SyncTimeout"/> for the catch-up plus 5 s
    /// for the VIP to move. The pause ends by itself even if this node dies.</summary>
    public TimeSpan HandoverLimit => SyncTimeout + TimeSpan.FromSeconds(5);

    /// <summary>TLS in effect (never null).</summary>
    public RedisTlsSettings TlsInEffect => Tls ?? RedisTlsSettings.Off;

    internal static RedisSettings Create(SettingsReader r, SettingsReader check, SettingsReader tls, List<string> warnings)
    {
        var host = r.String("host");
        if (string.IsNullOrWhiteSpace(host)) throw r.Error("host", host, "a host name or address is required");
        var announce = r.String("announce-host");
        if (announce.Length > 0 && !VirtualAddress.TryParse(announce, out _) && Uri.CheckHostName(announce) == UriHostNameType.Unknown)
            throw r.Error("announce-host", announce, "an IPv4 address or host name");
        var password = r.String("password");
        var passwordFile = r.String("password-file").Trim();
        if (password.Length > 0 && passwordFile.Length > 0)
            throw r.Error("password-file", passwordFile, "set password or password-file, not both");
        // Read once, here: a missing file fails check-config, not the first connection.
        if (passwordFile.Length > 0) password = SecretFile.Read(r, "password-file", warnings);
        return new RedisSettings(host, r.Int("port", 1, 65535), password, r.String("user"), announce,
            RedisCheckSettings.Create(check),
            r.Duration("sync-timeout", TimeSpan.Zero, TimeSpan.FromMinutes(10), "allowed 0s..10m"),
            RedisTlsSettings.Create(tls, warnings), passwordFile, r.BytesOrOff("max-loss", 1L << 40));
    }

    /// <summary>Passwords never reach logs.</summary>
    public override string ToString() =>
        $"RedisSettings {{ Host = {Host}, Port = {Port}, User = {User}, Password = {(Password.Length > 0 ? "***" : "")}, PasswordFile = {PasswordFile}, AnnounceHost = {AnnounceHost}, Check = {Check}, SyncTimeout = {SyncTimeout}, MaxLoss = {MaxLoss?.ToString() ?? "off"}, Tls = {TlsInEffect} }}";
}
