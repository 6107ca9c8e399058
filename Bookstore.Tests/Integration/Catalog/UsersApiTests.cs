using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Api.Recommender;
using Bookstore.Catalog.Contracts;
using Bookstore.Api.Security;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// Profiles, carts, sessions, recommendations and counters through the API; one API for the class, each test on users
/// of its own (1: recommendations, 2: cart, 3: session, 4: the recommender itself, 5: profile reads).
/// </summary>
[Trait("Category", "Integration")]
public sealed class UsersApiTests(CatalogApiFixture fixture) : IClassFixture<CatalogApiFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstReadOfAProfileIsAMissAndTheSecondAnL1Hit()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();

        using var first = await http.GetAsync(new Uri("/users/5", UriKind.Relative), Ct);
        using var second = await http.GetAsync(new Uri("/users/5", UriKind.Relative), Ct);
        using var unknown = await http.GetAsync(new Uri("/users/4242", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", CacheHeader(first));
        Assert.Equal("hit-l1", CacheHeader(second));
        var profile = await first.Content.ReadFromJsonAsync<UserProfile>(Json, Ct);
        Assert.Equal(5, profile!.Id);
        Assert.False(string.IsNullOrEmpty(profile.DisplayName));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task CartWritesAreSeenByTheNextReadAndTheCartKeyLivesAtMostFiveMinutes()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateReaderClient(await api.SignInAsync(2, Ct));
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        var empty = await GetCartAsync(http, 2);
        Assert.Equal("miss", empty.Header);
        Assert.Empty(empty.Cart.Items);
        Assert.Equal("hit-l2", (await GetCartAsync(http, 2)).Header);
        var ttl = await db.KeyTimeToLiveAsync("bookstore:v1:cart:2");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        using (var add = await http.PostAsJsonAsync(new Uri("/users/2/cart/items", UriKind.Relative), new { bookId = 3, quantity = 2 }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        }

        using (var add = await http.PostAsJsonAsync(new Uri("/users/2/cart/items", UriKind.Relative), new { bookId = 5, quantity = 1 }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        }

        var filled = await GetCartAsync(http, 2);
        Assert.Equal("miss", filled.Header);
        Assert.Equal([(3, 2), (5, 1)], filled.Cart.Items.Select(i => (i.BookId, i.Quantity)));
        Assert.All(filled.Cart.Items, i => Assert.True(i.UnitPrice > 0));
        ttl = await db.KeyTimeToLiveAsync("bookstore:v1:cart:2");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        using (var remove = await http.DeleteAsync(new Uri("/users/2/cart/items/3", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        Assert.Equal([5], (await GetCartAsync(http, 2)).Cart.Items.Select(i => i.BookId));

        using (var clear = await http.DeleteAsync(new Uri("/users/2/cart", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, clear.StatusCode);
        }

        Assert.Empty((await GetCartAsync(http, 2)).Cart.Items);

        using var unknownBook = await http.PostAsJsonAsync(new Uri("/users/2/cart/items", UriKind.Relative), new { bookId = 987654, quantity = 1 }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownBook.StatusCode);
        using var notInCart = await http.DeleteAsync(new Uri("/users/2/cart/items/7", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, notInCart.StatusCode);
        using var admin = api.CreateAdminClient();
        using var unknownUser = await admin.GetAsync(new Uri("/users/4242/cart", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownUser.StatusCode);
    }

    [Fact]
    public async Task SessionIsCreatedReadAndEndedAndAMalformedTokenIsNotFound()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();
        using var admin = api.CreateAdminClient();
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        using var create = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 3, password = api.ReaderPassword }, Ct);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await create.Content.ReadFromJsonAsync<JsonElement>(Json, Ct);
        var token = created.GetProperty("token").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", token);
        var ttl = await db.KeyTimeToLiveAsync("bookstore:v1:sessions:" + ReaderSessions.CacheIdOf(token));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(30));

        using var reader = api.CreateReaderClient(token);
        using (var read = await reader.GetAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            var session = await read.Content.ReadFromJsonAsync<ReaderSession>(Json, Ct);
            Assert.Equal(3, session!.UserId);
        }

        using (var end = await reader.DeleteAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, end.StatusCode);
        }

        // The ended token no longer signs anyone in; the admin key sees that the session is gone.
        using (var endedOwn = await reader.GetAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, endedOwn.StatusCode);
        }

        using var ended = await admin.GetAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, ended.StatusCode);
        Assert.False(await db.KeyExistsAsync("bookstore:v1:sessions:" + ReaderSessions.CacheIdOf(token)));

        foreach (var bad in new[] { token.ToUpperInvariant(), token[..63], token + "0", "..%2f..%2fbooks:1", "books:1", new string('g', 64) })
        {
            using var response = await admin.GetAsync(new Uri("/sessions/" + bad, UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var unknownUser = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId = 4242, password = api.ReaderPassword }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
    }

    [Fact]
    public async Task RecommendationsAreCachedAndRecomputedAfterARatingOrACartChange()
    {
        var api = await fixture.ForTestAsync();
        var computations = api.Services.GetRequiredService<RecommendationComputations>();

        var token = await api.SignInAsync(1, Ct);
        using var http = api.CreateReaderClient(token);
        using var admin = api.CreateAdminClient();

        var first = await GetRecommendationsAsync(http, 1, 5, expectedCache: "miss");
        Assert.Equal(5, first.BookIds.Count);
        Assert.Equal(first.BookIds.Count, first.BookIds.Distinct().Count());
        var computed = computations.Count;

        var second = await GetRecommendationsAsync(http, 1, 5, expectedCache: "hit-l1");
        Assert.Equal(computed, computations.Count);
        Assert.Equal(first.BookIds, second.BookIds);
        Assert.Equal(first.GeneratedAt, second.GeneratedAt);

        // Rating the top book: it is no longer unread, so the recomputed list drops it.
        var rated = first.BookIds[0];
        using (var put = await http.PutAsJsonAsync(new Uri($"/users/1/ratings/{rated}", UriKind.Relative), new { value = 5 }, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        var afterRating = await GetRecommendationsAsync(http, 1, 5, expectedCache: "miss");
        Assert.Equal(computed + 1, computations.Count);
        Assert.DoesNotContain(rated, afterRating.BookIds);

        // Only the recommendations were dropped: the reader's session survives the rating.
        using (var stillSignedIn = await http.GetAsync(new Uri("/sessions/" + token, UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
        }

        // A book put in the cart is not recommended either.
        var carted = afterRating.BookIds[0];
        using (var add = await http.PostAsJsonAsync(new Uri("/users/1/cart/items", UriKind.Relative), new { bookId = carted, quantity = 1 }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        }

        var afterCart = await GetRecommendationsAsync(http, 1, 5);
        Assert.Equal(computed + 2, computations.Count);
        Assert.DoesNotContain(carted, afterCart.BookIds);
        Assert.DoesNotContain(rated, afterCart.BookIds);

        // Another user's entries are untouched by user 1's writes.
        await GetRecommendationsAsync(admin, 2, 5);
        var other = computations.Count;
        using (var put = await http.PutAsJsonAsync(new Uri($"/users/1/ratings/{carted}", UriKind.Relative), new { value = 2 }, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }

        await GetRecommendationsAsync(admin, 2, 5);
        Assert.Equal(other, computations.Count);
    }

    [Fact]
    public async Task RecommendationsAreDeterministicAndExcludeWhatTheUserRated()
    {
        var api = await fixture.ForTestAsync();

        var service = new RecommendationService(api.Store, new RecommendationComputations(), TimeProvider.System);
        var a = await service.GetUserRecommendationsAsync(4, 50);
        var b = await service.GetUserRecommendationsAsync(4, 50);
        var inputs = await api.Store.GetRecommendationInputsAsync(4, RecommendationService.PopularCandidates, Ct);

        Assert.NotNull(a);
        Assert.Equal(a.BookIds, b!.BookIds);
        Assert.NotEmpty(a.BookIds);
        Assert.DoesNotContain(a.BookIds, inputs!.ExcludedBookIds.Contains);
        Assert.NotEmpty(inputs.ExcludedBookIds);
        Assert.Null(await service.GetUserRecommendationsAsync(4242, 10));
    }

    [Fact]
    public async Task BookReadsAndPageVisitsAreCountedInRedis()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();
        var db = api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        for (var i = 0; i < 3; i++)
        {
            using var read = await http.GetAsync(new Uri("/books/2", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var missing = await http.GetAsync(new Uri("/books/987654", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // Views are counted without holding up the read, in one sorted set: wait for the three to land.
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => await db.SortedSetScoreAsync("bookstore:v1:views:books", 2) == 3, TimeSpan.FromSeconds(30), Ct));
        Assert.Null(await db.SortedSetScoreAsync("bookstore:v1:views:books", 987654));

        using (var home = await http.PostAsync(new Uri("/visits/home", UriKind.Relative), null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        }

        using var again = await http.PostAsync(new Uri("/visits/home", UriKind.Relative), null, Ct);
        Assert.Equal(2, (await again.Content.ReadFromJsonAsync<JsonElement>(Json, Ct)).GetProperty("visits").GetInt64());
        Assert.Equal(2, (long)await db.StringGetAsync("bookstore:visits:page:home"));

        foreach (var page in new[] { "Home", "checkout", "home%20", "views:book:1" })
        {
            using var unknown = await http.PostAsync(new Uri("/visits/" + page, UriKind.Relative), null, Ct);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    /// <summary>method, url, body (null: none), the expected status.</summary>
    public static TheoryData<string, string, string?, int> BadRequests => new()
    {
        { "GET", "/users/0", null, 400 },
        { "GET", "/users/-1", null, 400 },
        { "GET", "/users/abc", null, 400 },
        { "GET", "/users/99999999999999", null, 400 },
        { "GET", "/users/abc/cart", null, 400 },
        { "DELETE", "/users/0/cart", null, 400 },
        { "DELETE", "/users/1/cart/items/abc", null, 400 },
        { "DELETE", "/users/1/cart/items/0", null, 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1,"quantity":0}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1,"quantity":100}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1,"quantity":-1}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":0,"quantity":1}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1,"quantity":1.5}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":"1","quantity":1}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":1,"quantity":1,"extra":true}""", 400 },
        { "POST", "/users/1/cart/items", """{"bookId": """, 400 },
        { "POST", "/users/1/cart/items", "null", 400 },
        { "POST", "/users/1/cart/items", "[]", 400 },
        { "POST", "/users/1/cart/items", """{"bookId":99999999999,"quantity":1}""", 400 },
        { "POST", "/users/4242/cart/items", """{"bookId":1,"quantity":1}""", 404 },
        { "GET", "/users/1/recommendations?limit=0", null, 400 },
        { "GET", "/users/1/recommendations?limit=51", null, 400 },
        { "GET", "/users/1/recommendations?limit=-1", null, 400 },
        { "GET", "/users/1/recommendations?limit=ten", null, 400 },
        { "GET", "/users/0/recommendations", null, 400 },
        { "GET", "/users/abc/recommendations", null, 400 },
        { "GET", "/users/4242/recommendations", null, 404 },
        { "PUT", "/users/1/ratings/1", """{"value":0}""", 400 },
        { "PUT", "/users/1/ratings/1", """{"value":6}""", 400 },
        { "PUT", "/users/1/ratings/1", """{"value":4.5}""", 400 },
        { "PUT", "/users/1/ratings/1", """{"value":""", 400 },
        { "PUT", "/users/1/ratings/abc", """{"value":3}""", 400 },
        { "PUT", "/users/1/ratings/987654", """{"value":3}""", 404 },
        { "PUT", "/users/4242/ratings/1", """{"value":3}""", 404 },
        { "POST", "/sessions", """{"userId":0}""", 400 },
        { "POST", "/sessions", """{"userId":"1"}""", 400 },
        { "POST", "/sessions", """{"user""", 400 },
        { "POST", "/sessions", "{}", 400 },
        { "POST", "/sessions", """{"userId":1}""", 400 },
        { "POST", "/sessions", """{"userId":1,"email":"ada@example.org","password":"not-checked-at-all"}""", 400 },
        { "DELETE", "/sessions/not-a-token", null, 404 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAClientErrorNeverAServerError(string method, string url, string? body, int expected)
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateAdminClient();

        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<(Cart Cart, string? Header)> GetCartAsync(HttpClient http, int userId)
    {
        using var response = await http.GetAsync(new Uri($"/users/{userId}/cart", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<Cart>(Json, Ct))!, CacheHeader(response));
    }

    private static async Task<Recommendations> GetRecommendationsAsync(HttpClient http, int userId, int limit, string? expectedCache = null)
    {
        using var response = await http.GetAsync(new Uri($"/users/{userId}/recommendations?limit={limit}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (expectedCache is not null)
        {
            Assert.Equal(expectedCache, CacheHeader(response));
        }

        return (await response.Content.ReadFromJsonAsync<Recommendations>(Json, Ct))!;
    }

    private static string? CacheHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
}
