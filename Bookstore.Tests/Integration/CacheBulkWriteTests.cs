using System.Globalization;
using Bookstore.Caching.Catalog;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace Bookstore.Tests.Integration;

/// <summary><see cref="ICacheService.SetManyAsync{T}"/>: what it writes to Redis, and what other instances see of it.</summary>
[Trait("Category", "Integration")]
public sealed class CacheBulkWriteTests
{
    private static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetManyWritesTheEntrySetAsyncWritesAndAnotherInstanceReadsThemFromRedis()
    {
        await using var server = await RedisServer.StartAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();

        // More than one pipelined batch.
        var books = Enumerable.Range(1, RedisBulkWriter.BatchSize + 44).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        var written = await a.SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct);
        await a.SetAsync(CacheType.Books, Dune with { Id = 9000 }, "9000", [CacheTags.Book(9000)], Ct);

        Assert.Equal(books.Count, written);
        var db = first.Get<IConnectionMultiplexer>().GetDatabase();
        var serializer = first.Get<CacheSerializer>();
        var bulk = await ReadEntryAsync(db, serializer, "bookstore:v1:books:7");
        var single = await ReadEntryAsync(db, serializer, "bookstore:v1:books:9000");
        Assert.Equal("Dune 7", bulk.Value.Title);
        Assert.Equal(["book:7"], bulk.Tags ?? []);
        Assert.Equal(["book:9000"], single.Tags ?? []);
        Assert.Equal(single.LogicalExpirationTimestamp - single.Timestamp, bulk.LogicalExpirationTimestamp - bulk.Timestamp);
        Assert.NotNull(bulk.Metadata);
        Assert.NotNull(single.Metadata);
        Assert.Equal((single.Metadata.IsStale, single.Metadata.Size, single.Metadata.Priority, single.Metadata.ETag), (bulk.Metadata.IsStale, bulk.Metadata.Size, bulk.Metadata.Priority, bulk.Metadata.ETag));

        // Eager refresh at 90 % of the L1 duration (10 min) plus up to 2 min of jitter, as FusionCache computes it.
        foreach (var entry in new[] { bulk, single })
        {
            Assert.InRange(entry.Metadata!.EagerExpirationTimestamp!.Value - entry.Timestamp, TimeSpan.FromMinutes(9).Ticks, TimeSpan.FromMinutes(10.8).Ticks);
        }

        // Both live in Redis until the fail-safe maximum (6 h), as one string each.
        foreach (var key in new[] { "bookstore:v1:books:7", "bookstore:v1:books:9000" })
        {
            Assert.Equal(RedisType.String, await db.KeyTypeAsync(key));
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromHours(5.9), TimeSpan.FromHours(6));
        }

        foreach (var book in books.Where(b => b.Id % 37 == 0))
        {
            var read = await b.GetOrSetEntryAsync<Book>(CacheType.Books, Id(book), _ => throw new InvalidOperationException("must come from Redis"), cancellationToken: Ct);
            Assert.Equal((CacheSource.L2, book.Title), (read.Source, read.Value.Title));
        }
    }

    [Fact]
    public async Task SetManyReplacesTheCopyAnotherInstanceHeldInItsL1()
    {
        await using var server = await RedisServer.StartAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();
        await b.GetOrSetAsync(CacheType.Books, "5", _ => Task.FromResult(Dune with { Id = 5 }), cancellationToken: Ct);
        Assert.Equal(CacheSource.L1, (await b.GetOrSetEntryAsync<Book>(CacheType.Books, "5", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Source);

        await a.SetManyAsync(CacheType.Books, [Write(Dune with { Id = 5, Title = "Dune (warmed)" })], Ct);

        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Value?.Title == "Dune (warmed)", TimeSpan.FromSeconds(10), Ct),
            "The other instance kept serving its L1 copy after SetManyAsync.");
    }

    [Fact]
    public async Task EntriesWrittenInBulkAreInvalidatedByTheirTags()
    {
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        await cache.SetManyAsync(CacheType.Books, [Write(Dune with { Id = 3 }), Write(Dune with { Id = 4 })], Ct);

        await cache.RemoveByTagAsync(CacheTags.Book(3), Ct);

        Assert.False((await cache.GetAsync<Book>(CacheType.Books, "3", Ct)).Found);
        Assert.True((await cache.GetAsync<Book>(CacheType.Books, "4", Ct)).Found);
    }

    private static CacheWrite<Book> Write(Book book) => new(Id(book), book, [CacheTags.Book(book.Id)]);

    private static string Id(Book book) => book.Id.ToString(CultureInfo.InvariantCulture);

    private static async Task<FusionCacheDistributedEntry<Book>> ReadEntryAsync(IDatabase db, CacheSerializer serializer, string key)
    {
        byte[]? payload = await db.StringGetAsync(key);
        Assert.NotNull(payload);
        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<FusionCacheDistributedEntry<Book>>(payload, out var entry));
        return entry!;
    }
}
