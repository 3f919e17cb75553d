using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RedisHaActors.Status;

/// <summary>Writes an <see cref="IPAddress"/> as its text ("192.0.2.1") and reads it back.</summary>
public sealed class IPAddressJsonConverter : JsonConverter<IPAddress>
{
    /// <inheritdoc />
    /// <exception cref="JsonException">The string is not an IP address.</exception>
    public override IPAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        IPAddress.TryParse(reader.GetString(), out var address) ? address : throw new JsonException($"not an IP address: {reader.GetString()}");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
