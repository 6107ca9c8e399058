extern alias worker;

using System.Net;
using System.Net.Http.Json;
using Bookstore.Api.Popularity;
using Bookstore.Api.Recommender;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// <c>InvalidateBookAsync</c> drops every cached recommendation list naming the book, whoever cached it (the API's
/// decorated recommender or the worker's bulk write), in L1 and L2, here and on a second API replica.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RecommendationInvalidationTests
{
    // The API's default length (UsersApi.DefaultRecommendations), which GET /users/{id}/recommendations and the warmer use.
    private const int Limit = 10;

    [Fact(Timeout = 180_000)]
    public async Task InvalidatingABookDropsEveryListNamingItOnEveryReplicaAndKeepsTheOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-recs-invalidate-");
        var sqlite = Path.Combine(data.Path, "catalog.db");
        await using var a = new CatalogApiFactory(redis, sqlite);
        await using var b = new CatalogApiFactory(redis, sqlite);
        using var workerHost = await CachingHost.StartWithCacheAsync(redis);
        var db = a.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        // Two readers whose lists both hold book X (the first also Y, which the second lacks), and a third without X.
        var lists = await ComputeListsAsync(a);
        var (x, y, first, second, other) = PickReaders(lists);

        // The second reader's list is the worker's: the API hands it over with its tags, the warmer writes it.
        var tokens = new Dictionary<int, string> { [second] = await a.SignInAsync(second, ct) };
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => await db.SortedSetScoreAsync(ReaderActivity.Key, second) is not null, TimeSpan.FromSeconds(30), ct));
        var state = new WarmerState();
        using (var warmer = TestWarmer.Create(a, workerHost, state, new WarmingOptions { TopBooks = 1, ListPages = 0, ActiveReaders = 10, IntervalMinutes = 60 }))
        {
            Assert.True(await warmer.RunOnceAsync(ct), $"The warming run did not complete: {state.Current}");
        }

        Assert.Equal([second], state.Current.LastUserIds);
        tokens[first] = await a.SignInAsync(first, ct);
        tokens[other] = await a.SignInAsync(other, ct);

        // Every list in both replicas' L1: the first and the other computed by A, the second read from the worker's write.
        Assert.Equal("miss", await ReadAsync(a, first, tokens));
        Assert.Equal("hit-l2", await ReadAsync(a, second, tokens));
        Assert.Equal("miss", await ReadAsync(a, other, tokens));
        foreach (var reader in new[] { first, second, other })
        {
            Assert.Equal("hit-l1", await ReadAsync(a, reader, tokens));
            Assert.Equal("hit-l2", await ReadAsync(b, reader, tokens));
            Assert.Equal("hit-l1", await ReadAsync(b, reader, tokens));
        }

        await a.Services.GetRequiredService<CacheService>().InvalidateBookAsync(x, ct);

        // A at once; B once the backplane message has arrived; a process that never read them (L2 alone) too.
        Assert.False(await IsCachedAsync(a, first), $"Reader {first}'s list holds book {x} (and {y}) and stayed in A's cache.");
        Assert.False(await IsCachedAsync(a, second), $"Reader {second}'s list holds book {x} and stayed in A's cache.");
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(async () => !await IsCachedAsync(b, first) && !await IsCachedAsync(b, second), TimeSpan.FromSeconds(5), ct),
            $"Replica B kept a list holding book {x} in its L1.");
        using (var fresh = await CachingHost.StartWithCacheAsync(redis))
        {
            Assert.False((await fresh.Get<ICacheService>().GetAsync<Recommendations>(CacheType.Recommendations, IdOf(a, first), ct)).Found);
            Assert.False((await fresh.Get<ICacheService>().GetAsync<Recommendations>(CacheType.Recommendations, IdOf(a, second), ct)).Found);
            Assert.True((await fresh.Get<ICacheService>().GetAsync<Recommendations>(CacheType.Recommendations, IdOf(a, other), ct)).Found);
        }

        // The list without X stays in both L1s; the dropped ones are computed afresh.
        Assert.Equal("hit-l1", await ReadAsync(a, other, tokens));
        Assert.Equal("hit-l1", await ReadAsync(b, other, tokens));
        var computations = a.Services.GetRequiredService<RecommendationComputations>();
        var before = computations.Count;
        Assert.Equal("miss", await ReadAsync(a, first, tokens));
        Assert.Equal(before + 1, computations.Count);
    }

    private static async Task<Dictionary<int, IReadOnlyList<int>>> ComputeListsAsync(CatalogApiFactory api)
    {
        // The undecorated recommender, so nothing is cached while the readers are chosen.
        using var scope = api.Services.CreateScope();
        var recommender = ActivatorUtilities.CreateInstance<RecommendationService>(scope.ServiceProvider);
        var lists = new Dictionary<int, IReadOnlyList<int>>();
        for (var userId = 1; await recommender.GetUserRecommendationsAsync(userId, Limit) is { } recommendations; userId++)
        {
            lists[userId] = recommendations.BookIds;
        }

        return lists;
    }

    private static (int X, int Y, int First, int Second, int Other) PickReaders(Dictionary<int, IReadOnlyList<int>> lists)
    {
        foreach (var (first, firstList) in lists)
        {
            foreach (var (second, secondList) in lists.Where(l => l.Key != first))
            {
                foreach (var x in firstList.Intersect(secondList))
                {
                    var y = firstList.Except(secondList).Cast<int?>().FirstOrDefault();
                    var other = lists.Where(l => l.Key != first && l.Key != second && !l.Value.Contains(x)).Select(l => (int?)l.Key).FirstOrDefault();
                    if (y is not null && other is not null)
                    {
                        return (x, y.Value, first, second, other.Value);
                    }
                }
            }
        }

        throw new InvalidOperationException(
            "The seed catalog gives no two readers sharing a recommended book and a third without it: " +
            string.Join("; ", lists.Select(l => $"{l.Key}: {string.Join(',', l.Value)}")));
    }

    private static string IdOf(CatalogApiFactory api, int userId) =>
        api.Services.GetRequiredService<CachedResultEntries<IRecommendationService>>()
            .Describe(nameof(IRecommendationService.GetUserRecommendationsAsync), userId, Limit).Id;

    private static async Task<bool> IsCachedAsync(CatalogApiFactory api, int userId) =>
        (await api.Services.GetRequiredService<ICacheService>()
            .GetAsync<Recommendations>(CacheType.Recommendations, IdOf(api, userId), TestContext.Current.CancellationToken)).Found;

    private static async Task<string> ReadAsync(CatalogApiFactory api, int userId, Dictionary<int, string> tokens)
    {
        using var http = api.CreateReaderClient(tokens[userId]);
        using var response = await http.GetAsync(new Uri($"/users/{userId}/recommendations", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<Recommendations>(TestContext.Current.CancellationToken);
        Assert.Equal(userId, body!.UserId);
        return response.Headers.GetValues("X-Cache").Single();
    }
}
