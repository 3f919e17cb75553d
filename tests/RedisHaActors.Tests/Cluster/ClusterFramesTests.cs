using RedisHaActors.Cluster;

namespace RedisHaActors.Tests.Cluster;

/// <summary>Akka's frames on the cluster port (<see cref="ClusterFrames"/>): the bytes its DotNetty transport writes and reads.</summary>
public sealed class ClusterFramesTests
{
    [Fact]
    public void A_frame_is_the_payload_length_then_the_payload_in_the_configured_byte_order()
    {
        Assert.Equal(new byte[] { 3, 0, 0, 0, 7, 8, 9 }, ClusterFrames.Encode([7, 8, 9], littleEndian: true));
        Assert.Equal(new byte[] { 0, 0, 0, 3, 7, 8, 9 }, ClusterFrames.Encode([7, 8, 9], littleEndian: false));
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, ClusterFrames.Encode([], littleEndian: true));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_length_read_back_is_the_length_written(bool littleEndian)
    {
        var frame = ClusterFrames.Encode(new byte[1000], littleEndian);
        Assert.Equal((1000, (string?)null), ClusterFrames.Length(frame, littleEndian, maximum: 128000));
    }

    [Fact]
    public void A_length_over_the_maximum_or_negative_is_refused_with_the_reason()
    {
        var (_, over) = ClusterFrames.Length(ClusterFrames.Encode(new byte[128001], littleEndian: true), littleEndian: true, maximum: 128000);
        Assert.Equal("a frame of 128001 bytes is over maximum-frame-size (128000 bytes)", over);
        var (_, negative) = ClusterFrames.Length([0xff, 0xff, 0xff, 0xff], littleEndian: true, maximum: 128000);
        Assert.Equal("a frame announces a negative length (-1)", negative);
        Assert.Equal((128000, (string?)null), ClusterFrames.Length(ClusterFrames.Encode(new byte[128000], true), true, 128000));
    }

    [Fact]
    public void A_header_shorter_than_four_bytes_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => ClusterFrames.Length([1, 0, 0], littleEndian: true, maximum: 128000));
    }
}
