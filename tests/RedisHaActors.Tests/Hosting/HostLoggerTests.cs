using RedisHaActors.Cluster;
using RedisHaActors.Hosting;

namespace RedisHaActors.Tests.Hosting;

/// <summary>The short log categories of <see cref="HostLogger"/>.</summary>
public sealed class HostLoggerTests
{
    [Theory]
    [InlineData("akka://redis-ha/user/ha-node/vrrp", null, "redis-ha.vrrp")]
    [InlineData("akka://redis-ha/user/ha-node/role-flip#123", null, "redis-ha.role-flip")]
    [InlineData("ClusterTlsTransport", typeof(ClusterTlsTransport), "redis-ha.cluster-tls-transport")]
    [InlineData("akka://redis-ha/system/remoting", typeof(Akka.Remote.RemoteSettings), "Akka.Remote.RemoteSettings")]
    [InlineData("somewhere", typeof(string), "akka")]
    public void An_actor_of_ours_or_a_class_of_ours_gets_a_short_category_and_Akkas_keep_their_class(string source, Type? logClass, string category)
    {
        Assert.Equal(category, HostLogger.Category(source, logClass));
    }
}
