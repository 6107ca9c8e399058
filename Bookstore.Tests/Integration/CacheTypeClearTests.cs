using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary><see cref="ICacheService.ClearTypeAsync"/>: one type flushed in every level and instance, the others kept.</summary>
[Trait("Category", "Integration")]
public abstract class CacheTypeClearTestsBase<TFixture>(TFixture redisServer) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    private static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClearingATypeDropsItOnEveryInstanceAndKeepsTheOtherTypes()
    {
        var server = await redisServer.FlushedAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();
        var page = new BookPage([Dune], 1, 20, 1);
        await a.SetAsync(CacheType.Books, Dune, "1", [CacheTags.Book(1)], Ct);
        await a.SetAsync(CacheType.BookLists, page, "p1-s20-popularity", [CacheTags.Book(1)], Ct);

        // The second instance holds both in its L1.
        Assert.Equal(CacheSource.L2, (await b.GetOrSetEntryAsync<Book>(CacheType.Books, "1", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Source);
        Assert.Equal(CacheSource.L1, (await b.GetOrSetEntryAsync<Book>(CacheType.Books, "1", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Source);
        await b.GetOrSetAsync<BookPage>(CacheType.BookLists, "p1-s20-popularity", _ => throw new InvalidOperationException(), cancellationToken: Ct);

        await a.ClearTypeAsync(CacheType.BookLists, Ct);

        Assert.False((await a.GetAsync<BookPage>(CacheType.BookLists, "p1-s20-popularity", Ct)).Found);
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => !(await b.GetAsync<BookPage>(CacheType.BookLists, "p1-s20-popularity", Ct)).Found, TimeSpan.FromSeconds(10), Ct),
            "The other instance kept serving a cleared list page.");
        Assert.True((await a.GetAsync<Book>(CacheType.Books, "1", Ct)).Found);
        Assert.Equal(CacheSource.L1, (await b.GetOrSetEntryAsync<Book>(CacheType.Books, "1", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Source);

        // A page cached after the clear is cached again.
        await b.GetOrSetAsync(CacheType.BookLists, "p1-s20-popularity", _ => Task.FromResult(page), cancellationToken: Ct);
        Assert.True((await b.GetAsync<BookPage>(CacheType.BookLists, "p1-s20-popularity", Ct)).Found);
    }

    [Fact]
    public async Task ClearingAPersistentTypeDeletesItsRedisKeysAndNoOthers()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        for (var i = 0; i < 1200; i++)
        {
            await cache.SetAsync(CacheType.Reference, $"value {i}", $"ref-{i}", cancellationToken: Ct);
        }

        await cache.SetAsync(CacheType.Books, Dune, "1", cancellationToken: Ct);

        await cache.ClearTypeAsync(CacheType.Reference, Ct);

        Assert.False(await db.KeyExistsAsync("bookstore:v1:reference:ref-0"));
        Assert.False(await db.KeyExistsAsync("bookstore:v1:reference:ref-1199"));
        Assert.False((await cache.GetAsync<string>(CacheType.Reference, "ref-7", Ct)).Found);
        Assert.True(await db.KeyExistsAsync("bookstore:v1:books:1"));
        Assert.True((await cache.GetAsync<Book>(CacheType.Books, "1", Ct)).Found);
    }
}

public sealed class CacheTypeClearTests(RedisFixture redisServer) : CacheTypeClearTestsBase<RedisFixture>(redisServer);

/// <summary>Clearing a type on a Redis Cluster: a Persistent type's keys are scanned and unlinked on every primary.</summary>
public sealed class CacheTypeClearClusterTests(RedisClusterFixture cluster) : CacheTypeClearTestsBase<RedisClusterFixture>(cluster);
