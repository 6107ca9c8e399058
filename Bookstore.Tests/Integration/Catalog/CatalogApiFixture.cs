using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// One in-process API, with its redis-server and SQLite file, for a whole test class
/// (<c>IClassFixture&lt;CatalogApiFixture&gt;</c>). Each test takes it through <see cref="ForTestAsync"/>, which
/// empties Redis first; the API's L1 and the store keep what earlier tests did, so each test reads and writes ids
/// (users, books) that no other test of its class writes or expects uncached.
/// </summary>
public sealed class CatalogApiFixture : IAsyncLifetime
{
    private readonly RedisFixture _redis = new();
    private readonly TemporaryDirectory _data = new("bookstore-catalog-");
    private CatalogApiFactory? _api;
    private RedisServer? _server;

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

    /// <summary>The API's redis-server, for a test's own hosts or replicas beside the API.</summary>
    internal RedisServer Redis => _server ?? throw new InvalidOperationException("The API fixture has not been started.");

    /// <summary>The class's API, its Redis emptied for this test.</summary>
    internal async Task<CatalogApiFactory> ForTestAsync()
    {
        var api = _api ?? throw new InvalidOperationException("The API fixture has not been started.");
        await _redis.FlushedAsync();
        return api;
    }

    /// <summary>The API's redis-server emptied for this test, for a test that writes the catalog and so needs an API of its own.</summary>
    internal Task<RedisServer> FlushedRedisAsync() => _redis.FlushedAsync();

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
