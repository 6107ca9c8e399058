namespace Bookstore.Tests.Support;

/// <summary>A Redis the cache runs against in a test: one redis-server (<see cref="RedisServer"/>) or a cluster (<see cref="RedisCluster"/>).</summary>
public interface ITestRedis
{
    /// <summary>
    /// What a service is given to reach it, as the AppHost gives it: <c>ConnectionStrings:cache</c>, and for a cluster the
    /// monitor's connection string and <c>Bookstore:Redis:Topology</c>.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string?>> ServiceSettings { get; }
}

/// <summary>One Redis for a whole test class, emptied for each test: <see cref="RedisFixture"/> or <see cref="RedisClusterFixture"/>.</summary>
public interface IRedisFixture : IAsyncLifetime
{
    /// <summary>The class's Redis with no key left by an earlier test.</summary>
    Task<ITestRedis> FlushedAsync();
}
