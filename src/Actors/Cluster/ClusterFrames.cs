using System.Buffers.Binary;

namespace RedisHaActors.Cluster;

/// <summary>
/// Akka.Remote's frames on the cluster port, as its DotNetty transport writes them (so a node of this version and one
/// of the previous speak to each other): a 4-byte length, then that many bytes of payload. The length counts the
/// payload only and is in the byte order of <c>akka.remote.dot-netty.tcp.byte-order</c> (little-endian by default); the
/// limit <c>maximum-frame-size</c> counts the length too, as Akka's decoder does. Pure.
/// </summary>
public static class ClusterFrames
{
    /// <summary>Bytes of the length before each payload.</summary>
    public const int HeaderBytes = 4;

    /// <summary>One frame: the length of <paramref name="payload"/>, then the payload.</summary>
    /// <param name="payload">The payload, at most <see cref="int.MaxValue"/> - 4 bytes.</param>
    /// <param name="littleEndian">The byte order of the length.</param>
    public static byte[] Encode(ReadOnlySpan<byte> payload, bool littleEndian)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        if (littleEndian) BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        else BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    /// <summary>
    /// The payload length a frame's <paramref name="header"/> announces, or why the frame is refused: a negative length,
    /// or a frame (length and payload) above <paramref name="maximum"/>, what Akka's decoder refuses too (the connection
    /// is then closed).
    /// </summary>
    /// <param name="header">The frame's first <see cref="HeaderBytes"/> bytes.</param>
    /// <param name="littleEndian">The byte order of the length.</param>
    /// <param name="maximum">Largest frame accepted, its length included, bytes (<c>maximum-frame-size</c>), at least <see cref="HeaderBytes"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="header"/> is shorter than <see cref="HeaderBytes"/>.</exception>
    public static (int Length, string? Refusal) Length(ReadOnlySpan<byte> header, bool littleEndian, int maximum)
    {
        if (header.Length < HeaderBytes) throw new ArgumentException($"a frame header has {HeaderBytes} bytes", nameof(header));
        var length = littleEndian ? BinaryPrimitives.ReadInt32LittleEndian(header) : BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0) return (0, $"a frame announces a negative length ({length})");
        if (length > maximum - HeaderBytes) return (0, $"a frame of {length} bytes (and its {HeaderBytes}-byte length) is over maximum-frame-size ({maximum} bytes)");
        return (length, null);
    }
}
