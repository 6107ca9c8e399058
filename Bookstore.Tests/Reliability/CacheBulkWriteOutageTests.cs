using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Reliability;

/// <summary>A bulk write while Redis is down returns what it wrote (nothing) and counts the failures; it does not hang or throw.</summary>
[Trait("Category", "Reliability")]
public sealed class CacheBulkWriteOutageTests
{
    [Fact(Timeout = 120_000)]
    public async Task SetManyWhileRedisIsDownWritesNothingCountsTheFailuresAndWritesAgainOnceRedisIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        var books = Enumerable.Range(1, 300).Select(i => new CacheWrite<Book>($"{i}", new Book(i, $"Book {i}", ["A. Author"], 4, 10))).ToList();
        var errorsBefore = host.Get<CacheMetrics>().Snapshot().Types.SingleOrDefault(t => t.CacheType == "books")?.Errors ?? 0;

        await server.KillAsync();
        var whileDown = await cache.SetManyAsync(CacheType.Books, books, ct);

        Assert.Equal(0, whileDown);
        var failures = host.Get<CacheMetrics>().Snapshot().Types.Single(t => t.CacheType == "books").Errors - errorsBefore;
        Assert.Equal(books.Count, failures);

        await server.StartAgainAsync();
        var written = 0;
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(async () => (written = await cache.SetManyAsync(CacheType.Books, books, ct)) == books.Count, TimeSpan.FromSeconds(30), ct),
            $"After Redis came back only {written} of {books.Count} books were written.");
    }
}
