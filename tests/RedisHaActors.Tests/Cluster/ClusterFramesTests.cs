using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels.Embedded;
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
    public void A_frame_over_the_maximum_or_a_negative_length_is_refused_with_the_reason()
    {
        var (_, over) = ClusterFrames.Length(ClusterFrames.Encode(new byte[127997], littleEndian: true), littleEndian: true, maximum: 128000);
        Assert.Equal("a frame of 127997 bytes (and its 4-byte length) is over maximum-frame-size (128000 bytes)", over);
        var (_, negative) = ClusterFrames.Length([0xff, 0xff, 0xff, 0xff], littleEndian: true, maximum: 128000);
        Assert.Equal("a frame announces a negative length (-1)", negative);
        Assert.Equal((127996, (string?)null), ClusterFrames.Length(ClusterFrames.Encode(new byte[127996], true), true, 128000));
        Assert.NotNull(ClusterFrames.Length([0xff, 0xff, 0xff, 0x7f], littleEndian: true, maximum: int.MaxValue).Refusal);
    }

    /// <summary>
    /// maximum-frame-size counts the 4-byte length as Akka's DotNetty transport does (its decoder, built as Akka builds it),
    /// so both refuse the same frames: a node of the previous version never gets a frame it refuses, nor sends one refused here.
    /// </summary>
    [Theory]
    [InlineData(127996, true)]
    [InlineData(127997, false)]
    [InlineData(32000 - 4, true)]
    public void The_maximum_counts_the_length_as_Akkas_own_decoder_does(int payload, bool accepted)
    {
        const int maximum = 128000;
        var decoder = new EmbeddedChannel(new LengthFieldBasedFrameDecoder(DotNetty.Buffers.ByteOrder.LittleEndian, maximum, 0, 4, 0, 4, true));
        var frame = ClusterFrames.Encode(new byte[payload], littleEndian: true);
        var akka = true;
        try
        {
            decoder.WriteInbound(Unpooled.WrappedBuffer(frame));
            Assert.Equal(payload, decoder.ReadInbound<IByteBuffer>().ReadableBytes);
        }
        catch (TooLongFrameException)
        {
            akka = false;
        }
        Assert.Equal(accepted, akka);
        Assert.Equal(accepted, ClusterFrames.Length(frame, littleEndian: true, maximum).Refusal is null);
    }

    [Fact]
    public void A_header_shorter_than_four_bytes_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => ClusterFrames.Length([1, 0, 0], littleEndian: true, maximum: 128000));
    }
}
