namespace RedisHaActors.Configuration;

/// <summary>
/// Secrets kept in files of their own (<c>redis-ha.redis.password-file</c>,
/// <c>redis-ha.status.token-file</c>), so the node file can be shown and the secret stays out of
/// it. Read once, when the settings are built; a file that cannot be used is one
/// <see cref="ConfigurationException"/> naming the key, and one that others may read is a warning.
/// </summary>
internal static class SecretFile
{
    /// <summary>
    /// Reads the file named by key <paramref name="name"/> of <paramref name="r"/>: its text with
    /// trailing line ends (<c>\n</c>, <c>\r\n</c>) removed; "" when the key is empty.
    /// </summary>
    /// <param name="r">The section holding the key.</param>
    /// <param name="name">The key, e.g. <c>password-file</c>.</param>
    /// <param name="warnings">Receives one line when others may read the file.</param>
    /// <exception cref="ConfigurationException">A relative path; a missing, unreadable or empty file; more than one line.</exception>
    public static string Read(SettingsReader r, string name, List<string> warnings)
    {
        var path = r.String(name).Trim();
        if (path.Length == 0) return "";
        // The same file whatever directory the service manager starts us in.
        if (!Path.IsPathRooted(path)) throw r.Error(name, path, "an absolute path to a file holding the secret");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw r.Error(name, path, $"a file this process can read ({FirstLine(e.Message).TrimEnd('.')})");
        }
        var secret = text.TrimEnd('\r', '\n');
        if (secret.Length == 0) throw r.Error(name, path, "a file holding the secret (it is empty)");
        if (secret.Contains('\n') || secret.Contains('\r')) throw r.Error(name, path, "a file holding the secret on one line");
        if (ReadableByOthers(path) is { } mode)
            warnings.Add($"{r.Path}.{name} = {path} is readable by others (mode {mode}): chmod o-r it (owner and the service's group only)");
        return secret;
    }

    /// <summary>The file's mode in octal (e.g. <c>0644</c>) when others may read it; null when they may not or it cannot be told.</summary>
    public static string? ReadableByOthers(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            var mode = File.GetUnixFileMode(path);
            return (mode & UnixFileMode.OtherRead) != 0 ? "0" + Convert.ToString((int)mode & 0xFFF, 8) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
