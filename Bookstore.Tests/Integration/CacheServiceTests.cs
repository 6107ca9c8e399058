using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>The typed cache on one redis-server (<see cref="CacheServiceTests"/>) and a Redis Cluster (<see cref="CacheServiceClusterTests"/>).</summary>
[Trait("Category", "Integration")]
public abstract class CacheServiceTestsBase<TFixture>(TFixture redisServer) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    protected static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstReadIsAMissThenL1ThenL2FromAnotherInstance()
    {
        var server = await redisServer.FlushedAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<CacheService>();
        var b = second.Get<CacheService>();

        Assert.Equal(CacheSource.Factory, (await a.GetOrSetEntryAsync(CacheType.Books, "1", _ => Task.FromResult(Dune), cancellationToken: Ct)).Source);
        Assert.Equal(CacheSource.L1, (await a.GetOrSetEntryAsync(CacheType.Books, "1", _ => Task.FromResult(Dune), cancellationToken: Ct)).Source);
        var fromRedis = await b.GetOrSetEntryAsync<Book>(CacheType.Books, "1", _ => throw new InvalidOperationException("must come from L2"), cancellationToken: Ct);
        Assert.Equal(CacheSource.L2, fromRedis.Source);
        Assert.Equal("Dune", fromRedis.Value.Title);

        // The entry sits in Redis under our key, with the type's TTL (plus nothing else in front of it).
        var db = first.Get<IConnectionMultiplexer>().GetDatabase();
        Assert.True(await db.KeyExistsAsync("bookstore:v1:books:1"));
    }

    [Fact]
    public async Task NumericIdsWithTheSameValueButOtherTextAreDifferentEntries()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<CacheService>();
        string[] ids = ["42", "042", "0", "4095", "4096", "123456"];

        foreach (var id in ids)
        {
            await cache.GetOrSetAsync(CacheType.Books, id, _ => Task.FromResult(Dune with { Title = "Dune " + id }), cancellationToken: Ct);
        }

        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        foreach (var id in ids)
        {
            var hit = await cache.GetOrSetEntryAsync<Book>(CacheType.Books, id, _ => throw new InvalidOperationException("must be cached"), cancellationToken: Ct);
            Assert.Equal((CacheSource.L1, "Dune " + id), (hit.Source, hit.Value.Title));
            Assert.True(await db.KeyExistsAsync("bookstore:v1:books:" + id), id);
        }
    }

    [Fact]
    public async Task HundredConcurrentMissesOnAColdKeyCallTheFactoryOnce()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        var calls = 0;

        async Task<Book> SlowSource(CancellationToken ct)
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(200, ct);
            return Dune;
        }

        var readers = Enumerable.Range(0, 100).Select(_ => cache.GetOrSetAsync(CacheType.Books, "42", SlowSource, cancellationToken: Ct).AsTask());
        var results = await Task.WhenAll(readers);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("Dune", r.Title));
    }

    [Fact]
    public async Task StaleValueIsServedAndCountedWhenTheSourceFailsAfterExpiry()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(
            server,
            new("Bookstore:Cache:Policies:Books:Duration", "00:00:01"),
            new("Bookstore:Cache:Policies:Books:L1Duration", "00:00:01"),
            new("Bookstore:Cache:Policies:Books:JitterMaxDuration", "00:00:00"),
            new("Bookstore:Cache:Policies:Books:EagerRefreshThreshold", null));
        var cache = host.Get<CacheService>();
        var before = host.Get<CacheMetrics>().Snapshot().Types.FirstOrDefault(t => t.CacheType == "books")?.Stale ?? 0;

        await cache.GetOrSetAsync(CacheType.Books, "7", _ => Task.FromResult(Dune), cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(1500), Ct);

        var served = await cache.GetOrSetEntryAsync<Book>(CacheType.Books, "7", _ => throw new TimeoutException("catalog store is down"), cancellationToken: Ct);

        Assert.Equal(CacheSource.Stale, served.Source);
        Assert.Equal("Dune", served.Value.Title);
        var books = Assert.Single(host.Get<CacheMetrics>().Snapshot().Types, t => t.CacheType == "books");
        Assert.Equal(before + 1, books.Stale);
    }

    [Fact]
    public async Task SourceFailureWithoutAStaleValueReachesTheCaller()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();

        await Assert.ThrowsAsync<TimeoutException>(async () =>
            await cache.GetOrSetAsync<Book>(CacheType.Books, "8", _ => throw new TimeoutException("down"), cancellationToken: Ct));
    }

    [Fact]
    public async Task UpdateAndInvalidateBookOnOneInstanceAreSeenByTheOther()
    {
        var server = await redisServer.FlushedAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<CacheService>();
        var b = second.Get<CacheService>();

        await a.GetOrSetAsync(CacheType.Books, "5", _ => Task.FromResult(Dune with { Id = 5 }), [CacheTags.Book(5)], Ct);
        var page = new BookPage([Dune with { Id = 5 }], 1, 20, 1);
        await b.GetOrSetAsync(CacheType.BookLists, "p1-s20-popularity", _ => Task.FromResult(page), [CacheTags.Book(5)], Ct);
        Assert.Equal("Dune", (await b.GetOrSetAsync<Book>(CacheType.Books, "5", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Title);

        await a.SetAsync(CacheType.Books, Dune with { Id = 5, Title = "Dune (2nd edition)" }, "5", [CacheTags.Book(5)], Ct);
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Value?.Title == "Dune (2nd edition)", TimeSpan.FromSeconds(3), Ct),
            "The other instance kept serving the old book from its L1.");

        await a.InvalidateBookAsync(5, Ct);
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => !(await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Found && !(await b.GetAsync<BookPage>(CacheType.BookLists, "p1-s20-popularity", Ct)).Found,
            TimeSpan.FromSeconds(3),
            Ct),
            "The book or a list page holding it survived InvalidateBookAsync on the other instance.");
    }

    [Fact]
    public async Task InvalidateUserRemovesEverythingTiedToTheUser()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<CacheService>();
        var user = new UserProfile(3, "Ada", "ada@example.org", DateTimeOffset.UnixEpoch);

        await cache.SetAsync(CacheType.Users, user, "3", [CacheTags.User(3)], Ct);
        await cache.SetAsync(CacheType.Cart, new Cart(3, [new CartItem(1, 2, 9.99m)], DateTimeOffset.UnixEpoch), "3", [CacheTags.User(3)], Ct);
        await cache.SetAsync(CacheType.Sessions, "3", "tok123", [CacheTags.User(3)], Ct);
        await cache.SetAsync(CacheType.Recommendations, new Recommendations(3, [1, 2], DateTimeOffset.UnixEpoch), "3:10", [CacheTags.User(3)], Ct);
        await cache.SetAsync(CacheType.Users, user with { Id = 4 }, "4", [CacheTags.User(4)], Ct);

        await cache.InvalidateUserAsync(3, Ct);

        Assert.False((await cache.GetAsync<UserProfile>(CacheType.Users, "3", Ct)).Found);
        Assert.False((await cache.GetAsync<Cart>(CacheType.Cart, "3", Ct)).Found);
        Assert.False((await cache.GetAsync<string>(CacheType.Sessions, "tok123", Ct)).Found);
        Assert.False((await cache.GetAsync<Recommendations>(CacheType.Recommendations, "3:10", Ct)).Found);
        Assert.True((await cache.GetAsync<UserProfile>(CacheType.Users, "4", Ct)).Found);
    }

}

public sealed class CacheServiceTests(RedisFixture redisServer) : CacheServiceTestsBase<RedisFixture>(redisServer)
{
    [Fact]
    public async Task TrySetSaysWhetherRedisHoldsTheEntryWhereSetLetsTheFailureGo()
    {
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<CacheService>();

        Assert.True(await cache.TrySetAsync(CacheType.Sessions, "3", "held", [CacheTags.User(3)], Ct));
        Assert.Equal("3", (await cache.GetAsync<string>(CacheType.Sessions, "held", Ct)).Value);

        await server.KillAsync();
        var errorsBefore = host.Get<CacheMetrics>().Snapshot().Types.Single(t => t.CacheType == "sessions").Errors;
        Assert.False(await cache.TrySetAsync(CacheType.Sessions, "3", "lost", [CacheTags.User(3)], Ct));
        Assert.True(host.Get<CacheMetrics>().Snapshot().Types.Single(t => t.CacheType == "sessions").Errors > errorsBefore);

        // SetAsync is as it was: a failed Redis write is FusionCache's to swallow.
        await cache.SetAsync(CacheType.Sessions, "3", "lost", [CacheTags.User(3)], Ct);
    }
}

/// <summary>The typed cache on a Redis Cluster: L2, tags, invalidation and the backplane across shards.</summary>
public sealed class CacheServiceClusterTests(RedisClusterFixture cluster) : CacheServiceTestsBase<RedisClusterFixture>(cluster);
