using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;
using ZiggyCreatures.Caching.Fusion;

namespace Bookstore.Tests.Integration;

/// <summary>
/// The guard for FusionCache upgrades: what our cache writes to Redis (one entry at a time and in bulk) is read by a plain
/// FusionCache with its default options, and what a plain FusionCache writes is read by ours. An upgrade that changes
/// FusionCache's L2 entry in a way our serializer cannot follow fails here, not in production.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FusionCacheUpgradeGuardTests
{
    private static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000, "9780441172719", 1965, "eng");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EntriesOurCacheWritesOneByOneAndInBulkAreReadByAPlainFusionCache()
    {
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        await cache.SetAsync(CacheType.Books, Dune, "1", [CacheTags.Book(1)], Ct);
        var bulk = Enumerable.Range(2, 300).Select(i => new CacheWrite<Book>($"{i}", Dune with { Id = i, Title = $"Dune {i}" }, [CacheTags.Book(i)])).ToList();
        Assert.Equal(bulk.Count, await cache.SetManyAsync(CacheType.Books, bulk, Ct));
        var json = EncodedJsonArray.SplitById("""[{"id":500,"title":"Dune Messiah","authors":["Frank Herbert"],"averageRating":3.88,"ratingsCount":300000}]"""u8.ToArray());
        Assert.Equal(1, await cache.SetManyAsync(CacheType.Books, [new CacheWrite<EncodedJson>("500", json[0].Json)], Ct));

        using var plain = PlainFusionCacheOn(host);
        AssertSameBook(Dune, await plain.GetOrDefaultAsync<Book>("bookstore:v1:books:1", token: Ct));
        AssertSameBook(Dune with { Id = 150, Title = "Dune 150" }, await plain.GetOrDefaultAsync<Book>("bookstore:v1:books:150", token: Ct));
        Assert.Equal("Dune Messiah", (await plain.GetOrDefaultAsync<Book>("bookstore:v1:books:500", token: Ct))?.Title);
    }

    [Fact]
    public async Task AnEntryAPlainFusionCacheWritesIsAnL2HitForOurCache()
    {
        await using var server = await RedisServer.StartAsync();
        using var writer = await CachingHost.StartWithCacheAsync(server);
        using (var plain = PlainFusionCacheOn(writer))
        {
            await plain.SetAsync("bookstore:v1:books:42", Dune with { Id = 42 }, new FusionCacheEntryOptions(TimeSpan.FromMinutes(5)), token: Ct);
        }

        using var reader = await CachingHost.StartWithCacheAsync(server);
        var read = await reader.Get<ICacheService>().GetOrSetEntryAsync<Book>(
            CacheType.Books, "42", _ => throw new InvalidOperationException("must come from Redis"), cancellationToken: Ct);
        Assert.Equal(CacheSource.L2, read.Source);
        AssertSameBook(Dune with { Id = 42 }, read.Value);
    }

    private static void AssertSameBook(Book expected, Book? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Authors = [] }, actual with { Authors = [] });
        Assert.Equal(expected.Authors, actual.Authors);
    }

    /// <summary>FusionCache with its default options over the same Redis and serializer, none of our policies or writers.</summary>
    private static FusionCache PlainFusionCacheOn(IHost host)
    {
        var plain = new FusionCache(new FusionCacheOptions { CacheName = "plain", DistributedCacheKeyModifierMode = CacheKeyModifierMode.None });
        plain.SetupDistributedCache(
            host.Get<RedisStringDistributedCache>(),
            new FusionCacheSerializerAdapter(host.Get<CacheSerializer>(), host.Get<CacheMetrics>()));
        return plain;
    }
}
