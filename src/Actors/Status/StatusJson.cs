using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RedisHaActors.Status;

/// <summary>
/// The JSON form of <see cref="NodeStatus"/> shared by the endpoint and the CLI: camelCase names,
/// enums as camelCase strings (also as dictionary keys: <c>"drops": {"checksum": 2}</c>), IP
/// addresses as text, indented for people reading <c>curl</c> output, and causes such as
/// "BACKUP -> MASTER" left readable (no HTML escaping: this JSON is never embedded in a page).
/// </summary>
public static class StatusJson
{
    /// <summary>The serializer options (read-only once built).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Serializes a status to UTF-8 JSON, ending with a newline (so <c>curl</c> output ends cleanly).</summary>
    public static byte[] Serialize(NodeStatus status) => [.. JsonSerializer.SerializeToUtf8Bytes(status, Options), (byte)'\n'];

    /// <summary>Reads a status back.</summary>
    /// <exception cref="JsonException">The text is not a node status.</exception>
    public static NodeStatus Deserialize(string json) =>
        JsonSerializer.Deserialize<NodeStatus>(json, Options) ?? throw new JsonException("empty status");

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.Converters.Add(new IPAddressJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
