using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// One in-process API, with its Redis and SQLite file, for a whole test class
/// (<c>IClassFixture&lt;CatalogApiFixture&gt;</c>, or <see cref="CatalogApiClusterFixture"/> on a Redis Cluster). Each
/// test takes it through <see cref="ForTestAsync"/>, which empties Redis first; the API's L1 and the store keep what
/// earlier tests did, so each test reads and writes ids (users, books) that no other test of its class writes or
/// expects uncached.
/// </summary>
public class CatalogApiFixture<TRedis> : IAsyncLifetime
    where TRedis : IRedisFixture, new()
{
    private readonly TRedis _redis = new();
    private readonly TemporaryDirectory _data = new("bookstore-catalog-");
    private CatalogApiFactory? _api;
    private ITestRedis? _server;

    public async ValueTask InitializeAsync()
    {
        await _redis.InitializeAsync();
        _server = await _redis.FlushedAsync();
        _api = new CatalogApiFactory(_server, Path.Combine(_data.Path, "catalog.db"));
        using (_api.CreateClient())
        {
            // Starts the API (and seeds its store) once, before the first test.
        }
    }

    /// <summary>The API's Redis, for a test's own hosts or replicas beside the API.</summary>
    internal ITestRedis Redis => _server ?? throw new InvalidOperationException("The API fixture has not been started.");

    /// <summary>The class's API, its Redis emptied for this test.</summary>
    internal async Task<CatalogApiFactory> ForTestAsync()
    {
        var api = _api ?? throw new InvalidOperationException("The API fixture has not been started.");
        await _redis.FlushedAsync();
        return api;
    }

    /// <summary>The API's Redis emptied for this test, for a test that writes the catalog and so needs an API of its own.</summary>
    internal Task<ITestRedis> FlushedRedisAsync() => _redis.FlushedAsync();

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        await _redis.DisposeAsync();
        _data.Dispose();
    }
}

/// <summary>The API on one redis-server.</summary>
public sealed class CatalogApiFixture : CatalogApiFixture<RedisFixture>;

/// <summary>The API on a Redis Cluster (six nodes started for the class, or the one <c>BOOKSTORE_TEST_REDIS_CLUSTER</c> names).</summary>
public sealed class CatalogApiClusterFixture : CatalogApiFixture<RedisClusterFixture>;
