using System.Net;
using RedisHaActors.Primitives;

namespace RedisHaActors.Tests.Primitives;

public sealed class PrimitivesTests
{
    [Fact]
    public void A_lease_lapses_exactly_its_length_after_the_last_renewal()
    {
        var lease = new Lease(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
        Assert.False(lease.LapsedAt(TimeSpan.FromSeconds(11.999)));
        Assert.True(lease.LapsedAt(TimeSpan.FromSeconds(12)));
        Assert.Equal(TimeSpan.FromSeconds(1.5), lease.Age(TimeSpan.FromSeconds(11.5)));
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.2", -1)]
    [InlineData("192.0.2.10", "192.0.2.9", 1)]   // numerically, not as text
    [InlineData("10.0.0.1", "9.255.255.255", 1)]
    [InlineData("192.0.2.1", "192.0.2.1", 0)]
    public void Addresses_order_as_unsigned_numbers(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(Ipv4Order.Compare(IPAddress.Parse(a), IPAddress.Parse(b))));
    }
}
