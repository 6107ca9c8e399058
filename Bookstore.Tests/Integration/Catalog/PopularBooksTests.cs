using System.Net;
using System.Net.Http.Json;
using Bookstore.Api.Popularity;
using Bookstore.Catalog.Contracts;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The ranking the warmer reads from <c>/catalog/popular-books</c>: ratings count + 1000 × live views, the views counted
/// per <c>GET /books/{id}</c> in one sorted set on a real redis-server.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PopularBooksTests
{
    private const double ViewWeight = 1000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task LiveViewsLiftBooksAboveBetterRatedOnesByTheDocumentedFormula()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-popular-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateAdminClient();
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var byRatings = await api.Store.GetMostPopularBooksAsync(1000, ct);

        // No views yet: the store's order.
        Assert.Equal(byRatings.Take(5).Select(b => b.Id), await TopAsync(http, 5));

        // The least rated book (at most 90,499 ratings behind the first) read 100 times; the sixth read 3 times.
        var views = new Dictionary<int, long> { [byRatings[^1].Id] = 100, [byRatings[5].Id] = 3 };
        foreach (var (id, count) in views)
        {
            for (var i = 0; i < count; i++)
            {
                using var read = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
        }

        // Counted without holding up the reads: wait for the sorted set to hold every view.
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                foreach (var (id, count) in views)
                {
                    if (await db.SortedSetScoreAsync(BookViews.Key, id) != count)
                    {
                        return false;
                    }
                }

                return true;
            },
            TimeSpan.FromSeconds(30),
            ct), "The views did not all reach " + BookViews.Key);
        Assert.Equal(2, await db.SortedSetLengthAsync(BookViews.Key));

        var expected = byRatings
            .OrderByDescending(b => b.RatingsCount + (ViewWeight * views.GetValueOrDefault(b.Id)))
            .ThenBy(b => b.Id)
            .Take(5)
            .Select(b => b.Id)
            .ToList();
        var ranked = await TopAsync(http, 5);
        Assert.Equal(expected, ranked);
        Assert.Equal(byRatings[^1].Id, ranked[0]);
    }

    [Fact(Timeout = 120_000)]
    public async Task WithRedisDownTheRankingIsTheStoresAndBooksAreStillServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-popular-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateAdminClient();
        var byRatings = await api.Store.GetMostPopularBooksAsync(5, ct);

        await redis.KillAsync();

        using var read = await http.GetAsync(new Uri($"/books/{byRatings[0].Id}", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(byRatings.Select(b => b.Id), await TopAsync(http, 5));
    }

    private static async Task<List<int>> TopAsync(HttpClient http, int limit) =>
        [.. (await http.GetFromJsonAsync<List<Book>>($"/catalog/popular-books?limit={limit}", Ct))!.Select(b => b.Id)];
}
