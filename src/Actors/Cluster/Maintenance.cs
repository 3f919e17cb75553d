using System.Text.Json;

namespace RedisHaActors.Cluster;

/// <summary>
/// The set's maintenance mode (<c>redis-ha pause</c> / <c>resume</c>), one value for the whole set in an Akka
/// Distributed Data register (JSON, like <see cref="PeerState"/>, so no custom serializer). Immutable.
/// A version without maintenance mode neither reads nor writes it: during a rolling upgrade only the nodes
/// that know it hold still (README, Upgrades).
/// </summary>
/// <param name="Paused">True while paused.</param>
/// <param name="By">The node whose control API took the request (<c>redis-ha.node.name</c>).</param>
/// <param name="At">Wall-clock time of the request (UTC), for people.</param>
public sealed record MaintenanceState(bool Paused, string By, DateTimeOffset At)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>JSON for the register.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses the register's value; null for anything malformed (read as "not paused").</summary>
    public static MaintenanceState? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<MaintenanceState>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>How status shows it: <c>paused by n1 at ...</c> or <c>off</c>.</summary>
    public string Describe() => Paused ? $"paused by {By} at {At:yyyy-MM-dd HH:mm:ss}Z" : "off";
}

/// <summary>The guard's reading of the register: at once after joining (a majority read), then on every change.</summary>
/// <param name="State">The value; null when it was never set (not paused).</param>
public sealed record MaintenanceChanged(MaintenanceState? State)
{
    /// <summary>Whether the set is paused.</summary>
    public bool Paused => State?.Paused == true;
}

/// <summary>Asks the guard to store <paramref name="State"/> on a majority of the voters; the sender is answered with a
/// <see cref="MaintenanceWritten"/>.</summary>
public sealed record WriteMaintenance(MaintenanceState State);

/// <summary>The answer to <see cref="WriteMaintenance"/>.</summary>
/// <param name="Stored">True once a majority of the voters holds it.</param>
/// <param name="Error">Why not, one line; empty when stored.</param>
public sealed record MaintenanceWritten(bool Stored, string Error);
