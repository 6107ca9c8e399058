extern alias worker;

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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
/// Recommendations of recently active readers, warmed by the worker's warmer through the API's bulk endpoint into the
/// entries <c>GET /users/{id}/recommendations</c> reads, on a real redis-server.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RecommendationWarmingTests(CatalogApiFixture fixture) : IClassFixture<CatalogApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 180_000)]
    public async Task ActiveReadersRecommendationsAreHitsAfterWarmingAndDropWhenTheirRatingsChange()
    {
        var ct = TestContext.Current.CancellationToken;
        var api = await fixture.ForTestAsync();
        using var host = await CachingHost.StartWithCacheAsync(fixture.Redis);
        using var http = api.CreateAdminClient();
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        // Readers 1 and 2 sign in, which makes them active; reader 3 does not.
        var tokens = new Dictionary<int, string> { [1] = await api.SignInAsync(1, Ct), [2] = await api.SignInAsync(2, Ct) };
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => await db.SortedSetLengthAsync(ReaderActivity.Key) == 2, TimeSpan.FromSeconds(30), ct));

        var state = new WarmerState();
        using var warmer = TestWarmer.Create(api, host, state, new WarmingOptions { TopBooks = 5, ListPages = 0, ActiveReaders = 10, IntervalMinutes = 60 });
        Assert.True(await warmer.RunOnceAsync(ct), $"The warming run did not complete: {state.Current}");
        Assert.Equal([1, 2], state.Current.LastUserIds.Order());
        Assert.Equal(0, state.Current.LastRecommendationsFailed);

        var entries = api.Services.GetRequiredService<CachedResultEntries<IRecommendationService>>();
        Assert.False(
            await db.KeyExistsAsync(RecommendationsKey(entries, 3)),
            "Reader 3 was never active, yet their recommendations were warmed.");

        var computations = api.Services.GetRequiredService<RecommendationComputations>();
        var computed = computations.Count;
        foreach (var (userId, token) in tokens)
        {
            Assert.True(await db.KeyExistsAsync(RecommendationsKey(entries, userId)));
            using var response = await GetRecommendationsAsync(http, userId, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(response.Headers.GetValues("X-Cache").Single(), new[] { "hit-l1", "hit-l2" });
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal(userId, body.GetProperty("userId").GetInt32());
            Assert.NotEqual(0, body.GetProperty("bookIds").GetArrayLength());
        }

        Assert.Equal(computed, computations.Count);

        // The warmed entry carries the API's tags: a new rating drops it, so the next read computes afresh.
        using (var rate = new HttpRequestMessage(HttpMethod.Put, "/users/1/ratings/2") { Content = JsonContent.Create(new { value = 5 }) })
        {
            rate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[1]);
            using var rated = await http.SendAsync(rate, ct);
            Assert.Equal(HttpStatusCode.NoContent, rated.StatusCode);
        }

        using var afterRating = await GetRecommendationsAsync(http, 1, tokens[1]);
        Assert.Equal("miss", afterRating.Headers.GetValues("X-Cache").Single());
        Assert.Equal(computed + 1, computations.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task BulkEndpointNamesReadersActiveWithinTheWindowMostRecentFirstWithTheApisEntries()
    {
        var ct = TestContext.Current.CancellationToken;
        var api = await fixture.ForTestAsync();
        using var http = api.CreateAdminClient();
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // Reader 3 was active two days ago (outside the 24 h window); 999999 is no user (it takes a slot and is skipped).
        await db.SortedSetAddAsync(ReaderActivity.Key, [new("3", now - (2 * 24 * 3600)), new("4", now - 10), new("999999", now - 5), new("2", now)]);

        var entries = api.Services.GetRequiredService<CachedResultEntries<IRecommendationService>>();
        var answer = (await http.GetFromJsonAsync<List<RecommendationsEntry>>("/catalog/active-readers/recommendations?users=10", ct))!;
        Assert.Equal([2, 4], answer.Select(e => e.Recommendations.UserId));
        foreach (var entry in answer)
        {
            var expected = entries.DescribeResult(nameof(IRecommendationService.GetUserRecommendationsAsync), entry.Recommendations, entry.Recommendations.UserId, 10);
            Assert.Equal(expected.Id, entry.CacheId);
            Assert.Equal(expected.Tags, entry.Tags);
            Assert.Contains(CacheTags.User(entry.Recommendations.UserId), entry.Tags);
            Assert.All(entry.Recommendations.BookIds, bookId => Assert.Contains(CacheTags.Book(bookId), entry.Tags));
            Assert.Equal(10, entry.Recommendations.BookIds.Count);
        }

        var one = await http.GetFromJsonAsync<List<RecommendationsEntry>>("/catalog/active-readers/recommendations?users=1", ct);
        Assert.Equal(2, Assert.Single(one!).Recommendations.UserId);

        foreach (var query in new[] { "users=0", "users=10001", "limit=0", "limit=51" })
        {
            using var bad = await http.GetAsync(new Uri("/catalog/active-readers/recommendations?" + query, UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
    }

    private static string RecommendationsKey(CachedResultEntries<IRecommendationService> entries, int userId) =>
        "bookstore:v1:recommendations:" + entries.Describe(nameof(IRecommendationService.GetUserRecommendationsAsync), userId, 10).Id;

    private static async Task<HttpResponseMessage> GetRecommendationsAsync(HttpClient http, int userId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/users/{userId}/recommendations");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, Ct);
    }
}
