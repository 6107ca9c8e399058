using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Bookstore.Tests.Unit.FunctionCaching;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>[CacheResult] methods on the real CacheService and Redis.</summary>
[Trait("Category", "Integration")]
public abstract class FunctionCachingIntegrationTestsBase<TFixture>(TFixture redis) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    [Fact]
    public async Task ResultsAreCachedInRedisAndUserInvalidationRemovesThem()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await redis.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server, services => services
            .AddSingleton<CallLog>()
            .AddCachedResults<IBookQueries, BookQueries>(ServiceLifetime.Singleton));
        var queries = host.Get<IBookQueries>();
        var log = host.Get<CallLog>();

        Assert.Equal(42, (await queries.GetBookDetailsAsync(42))!.Id);
        Assert.Equal(42, (await queries.GetBookDetailsAsync(42))!.Id);
        await queries.GetUserRecommendationsAsync(7, 5);
        await queries.GetUserRecommendationsAsync(7, 5);

        Assert.Equal(1, log.Count("GetBookDetailsAsync"));
        Assert.Equal(1, log.Count("GetUserRecommendationsAsync"));
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        Assert.True(await db.KeyExistsAsync("bookstore:v1:books:get-book-details-async.58d9056367657c93.42"));

        await host.Get<CacheService>().InvalidateUserAsync(7, ct);
        await queries.GetUserRecommendationsAsync(7, 5);
        Assert.Equal(2, log.Count("GetUserRecommendationsAsync"));

        await host.Get<CacheService>().InvalidateBookAsync(42, ct);
        await queries.GetBookDetailsAsync(42);
        Assert.Equal(2, log.Count("GetBookDetailsAsync"));
    }
}

public sealed class FunctionCachingIntegrationTests(RedisFixture redis) : FunctionCachingIntegrationTestsBase<RedisFixture>(redis);

public sealed class FunctionCachingIntegrationClusterTests(RedisClusterFixture cluster) : FunctionCachingIntegrationTestsBase<RedisClusterFixture>(cluster);
