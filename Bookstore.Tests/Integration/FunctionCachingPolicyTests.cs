using System.Collections.Concurrent;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

public interface IShelfQueries
{
    [CacheResult(CacheType.Books, TtlSeconds = 1)]
    Task<int> CountEditionsAsync(int bookId);

    [CacheResult(CacheType.Books)]
    Task<int> CountReviewsAsync(int bookId);

    [CacheResult(CacheType.Cart, TtlSeconds = 1)]
    Task<int> CountCartLinesAsync(int ownerId);

    [CacheResult(CacheType.Cart)]
    Task<int> CountSavedLinesAsync(int ownerId);

    [CacheResult(CacheType.Books, Strategy = CacheStrategy.Persistent)]
    Task<string> GetLanguageNameAsync(string code);
}

/// <summary>The calls that reached the implementation, per method.</summary>
public sealed class ShelfCalls
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public int Calls(string method) => _calls.GetValueOrDefault(method);

    public int Count(string method) => _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
}

public sealed class ShelfQueries(ShelfCalls calls) : IShelfQueries
{
    public Task<int> CountEditionsAsync(int bookId) => Task.FromResult(Count(nameof(CountEditionsAsync)));

    public Task<int> CountReviewsAsync(int bookId) => Task.FromResult(Count(nameof(CountReviewsAsync)));

    public Task<int> CountCartLinesAsync(int ownerId) => Task.FromResult(Count(nameof(CountCartLinesAsync)));

    public Task<int> CountSavedLinesAsync(int ownerId) => Task.FromResult(Count(nameof(CountSavedLinesAsync)));

    public Task<string> GetLanguageNameAsync(string code) => Task.FromResult($"{code}-{Count(nameof(GetLanguageNameAsync))}");

    private int Count(string method) => calls.Count(method);
}

/// <summary>[CacheResult(TtlSeconds, Strategy)] on the real CacheService and Redis: the method's policy, not the type's.</summary>
[Trait("Category", "Integration")]
public sealed class FunctionCachingPolicyTests
{
    [Fact(Timeout = 60_000)]
    public async Task AShortTtlExpiresTheMethodsResultsWhileTheTypesPolicyKeepsTheOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await StartAsync(server);
        var queries = host.Get<IShelfQueries>();
        var calls = host.Get<ShelfCalls>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();

        // Cart has no L1 and no fail-safe, so Redis holds the entry for exactly its duration: 1 s against the type's 5 min.
        await queries.CountCartLinesAsync(3);
        await queries.CountSavedLinesAsync(3);
        var shortTtl = await db.KeyTimeToLiveAsync(Key(host, "cart", nameof(IShelfQueries.CountCartLinesAsync), 3));
        var typeTtl = await db.KeyTimeToLiveAsync(Key(host, "cart", nameof(IShelfQueries.CountSavedLinesAsync), 3));
        Assert.InRange(shortTtl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.InRange(typeTtl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));

        // Books (L1 10 min, TTL 2 h, jitter 2 min): the 1 s method is computed again once its second has passed.
        Assert.Equal(1, await queries.CountEditionsAsync(42));
        Assert.Equal(1, await queries.CountReviewsAsync(42));
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(async () => await queries.CountEditionsAsync(42) > 1, TimeSpan.FromSeconds(20), ct),
            "The TtlSeconds = 1 result was still served from the cache long after its second.");
        Assert.Equal(1, await queries.CountReviewsAsync(42));
        Assert.Equal(1, calls.Calls(nameof(IShelfQueries.CountReviewsAsync)));
    }

    [Fact(Timeout = 60_000)]
    public async Task APersistentMethodIsStoredWithoutTtlReadByAnotherProcessAndDeletedWhenItsTypeIsCleared()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var first = await StartAsync(server);
        using var second = await StartAsync(server);
        var db = first.Get<IConnectionMultiplexer>().GetDatabase();

        Assert.Equal("eng-1", await first.Get<IShelfQueries>().GetLanguageNameAsync("eng"));
        await first.Get<IShelfQueries>().CountReviewsAsync(42);
        var persistentKey = Key(first, "books", nameof(IShelfQueries.GetLanguageNameAsync), "eng");
        Assert.True(await db.KeyExistsAsync(persistentKey));
        Assert.Null(await db.KeyTimeToLiveAsync(persistentKey));
        Assert.NotNull(await db.KeyTimeToLiveAsync(Key(first, "books", nameof(IShelfQueries.CountReviewsAsync), 42)));

        // Another process with an empty L1 reads it from Redis, without computing it.
        Assert.Equal("eng-1", await second.Get<IShelfQueries>().GetLanguageNameAsync("eng"));
        Assert.Equal(0, second.Get<ShelfCalls>().Calls(nameof(IShelfQueries.GetLanguageNameAsync)));

        // Books is a TTL type, yet clearing it deletes this key without TTL, and the other process computes afresh.
        await first.Get<CacheService>().ClearTypeAsync(CacheType.Books, ct);
        Assert.False(await db.KeyExistsAsync(persistentKey));
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(
                async () => await second.Get<IShelfQueries>().GetLanguageNameAsync("eng") == "eng-1" &&
                    second.Get<ShelfCalls>().Calls(nameof(IShelfQueries.GetLanguageNameAsync)) == 1,
                TimeSpan.FromSeconds(10),
                ct),
            "The second process kept serving the cleared persistent result.");
    }

    private static Task<IHost> StartAsync(RedisServer server) =>
        CachingHost.StartWithCacheAsync(server, services => services
            .AddSingleton<ShelfCalls>()
            .AddCachedResults<IShelfQueries, ShelfQueries>(ServiceLifetime.Singleton));

    private static string Key(IHost host, string segment, string method, params object?[] arguments) =>
        $"bookstore:v1:{segment}:" + host.Get<CachedResultEntries<IShelfQueries>>().Describe(method, arguments).Id;
}
