using StackExchange.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// One Redis Cluster for a whole test class (<c>IClassFixture&lt;RedisClusterFixture&gt;</c>): six nodes started for the
/// class (<see cref="RedisCluster"/>), or, when <see cref="ExistingClusterVariable"/> is set, the cluster it names. Each
/// test takes it through <see cref="FlushedAsync"/>, which empties every primary first (FLUSHALL).
/// </summary>
public sealed class RedisClusterFixture : IRedisFixture
{
    /// <summary>
    /// A StackExchange.Redis connection string to an existing cluster the cluster tests use instead of starting one
    /// (<c>host:port,host:port,...,user=...,password=...</c>; a user that may FLUSHALL: every test empties it).
    /// </summary>
    public const string ExistingClusterVariable = "BOOKSTORE_TEST_REDIS_CLUSTER";

    private ITestRedis? _redis;
    private ConnectionMultiplexer? _admin;

    /// <summary>The cluster this fixture started; null when the tests run against an existing one.</summary>
    public RedisCluster? Started { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(ExistingClusterVariable) is { Length: > 0 } existing)
        {
            _redis = new ExistingCluster(existing);
            _admin = await RedisCluster.ConnectAdminAsync(existing);
            return;
        }

        Started = await RedisCluster.StartAsync(TestContext.Current.CancellationToken);
        _redis = Started;
        _admin = await RedisCluster.ConnectAdminAsync(Started.AdminConnectionString);
    }

    /// <summary>The class's cluster with no key left by an earlier test (FLUSHALL on every primary).</summary>
    public async Task<ITestRedis> FlushedAsync()
    {
        var admin = _admin ?? throw new InvalidOperationException("The Redis cluster fixture has not been started.");
        await Task.WhenAll(admin.GetServers().Where(s => !s.IsReplica).Select(FlushPrimaryAsync));
        return _redis!;
    }

    /// <summary>
    /// FLUSHALL on a node the client takes for a primary: a primary empties itself and its replica; a replica whose role the
    /// client has not learnt yet (just after it connected) refuses it (READONLY) and is left alone.
    /// </summary>
    private static async Task FlushPrimaryAsync(IServer server)
    {
        try
        {
            await server.FlushAllDatabasesAsync();
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("READONLY", StringComparison.Ordinal))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        if (Started is not null)
        {
            await Started.DisposeAsync();
        }
    }

    /// <summary>A cluster the tests did not start: the services connect with the variable's connection string.</summary>
    private sealed class ExistingCluster(string connectionString) : ITestRedis
    {
        public IReadOnlyList<KeyValuePair<string, string?>> ServiceSettings =>
            [new("ConnectionStrings:cache", connectionString), new("Bookstore:Redis:Topology", "cluster")];
    }
}
