using System.Net;
using RedisHaActors.Cluster;

namespace RedisHaActors.Tests.Cluster;

/// <summary><see cref="HandshakeSlots"/>: the inbound handshakes a node runs at once, in total and per source host.</summary>
public sealed class HandshakeSlotsTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.8");

    [Fact]
    public void One_host_gets_at_most_its_share_and_another_host_still_gets_a_slot()
    {
        var slots = new HandshakeSlots(total: 64, perHost: 8);
        for (var i = 0; i < 8; i++) Assert.Null(slots.TryTake(A));
        Assert.Equal("more than 8 handshakes in progress from 192.0.2.7", slots.TryTake(A));
        Assert.Null(slots.TryTake(B));
        slots.Release(A);
        Assert.Null(slots.TryTake(A));
    }

    [Fact]
    public void The_total_bounds_all_hosts_together_and_a_release_frees_a_slot()
    {
        var slots = new HandshakeSlots(total: 3, perHost: 2);
        Assert.Null(slots.TryTake(A));
        Assert.Null(slots.TryTake(A));
        Assert.Null(slots.TryTake(B));
        Assert.Equal("more than 3 handshakes in progress", slots.TryTake(IPAddress.Parse("192.0.2.9")));
        slots.Release(B);
        Assert.Null(slots.TryTake(IPAddress.Parse("192.0.2.9")));
    }

    [Fact]
    public void An_IPv4_mapped_IPv6_address_is_the_same_host_as_its_IPv4_address()
    {
        var slots = new HandshakeSlots(total: 64, perHost: 1);
        Assert.Null(slots.TryTake(A));
        Assert.NotNull(slots.TryTake(A.MapToIPv6()));
        slots.Release(A.MapToIPv6());
        Assert.Null(slots.TryTake(A));
    }

    [Fact]
    public void A_release_without_a_slot_taken_frees_nothing()
    {
        var slots = new HandshakeSlots(total: 1, perHost: 1);
        slots.Release(B);
        Assert.Null(slots.TryTake(A));
        Assert.NotNull(slots.TryTake(B));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(4, 0)]
    [InlineData(4, 5)]
    public void Limits_out_of_range_are_a_programming_error(int total, int perHost)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandshakeSlots(total, perHost));
    }
}
