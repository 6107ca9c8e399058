using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Bookstore.Tests.Security;

/// <summary>
/// Who may call what (contract: docs/operations.md, "Who may call what"): the admin key for catalog writes,
/// <c>/admin/*</c> and <c>/catalog/*</c>; a reader's own session token (or the admin key) for their cart, ratings,
/// recommendations and sessions. Each route group: 401 without a credential, 403 with another reader's token, 2xx
/// with the right one; and a refused request reaches neither the store nor the cached data.
/// </summary>
[Trait("Category", "Security")]
public sealed class ApiAuthorizationTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private const string Sessions = "sessions";

    private const string ValidBook = """{"title":"The Moonstone","authors":["Wilkie Collins"],"price":9.99}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every admin route, as a request that succeeds with the admin key.</summary>
    private static IEnumerable<Func<HttpRequestMessage>> AdminRequests(int deletableBookId) =>
    [
        () => Json(HttpMethod.Post, "/books", ValidBook),
        () => Json(HttpMethod.Put, "/books/2", """{"title":"Emma","authors":["Jane Austen"],"price":8}"""),
        () => new HttpRequestMessage(HttpMethod.Delete, $"/books/{deletableBookId}"),
        () => new HttpRequestMessage(HttpMethod.Post, "/admin/import")
        {
            Content = new StringContent(CatalogImportTests.Header + "\n" + CatalogImportTests.Row(902, "Admin Only", "Ada Min", "4.0"), Encoding.UTF8, "text/csv"),
        },
        () => new HttpRequestMessage(HttpMethod.Get, "/catalog/popular-books?limit=5"),
    ];

    /// <summary>Every route of user 1's own data, in an order in which each succeeds for its owner.</summary>
    private static IEnumerable<Func<HttpRequestMessage>> ReaderRequests() =>
    [
        () => new HttpRequestMessage(HttpMethod.Get, "/users/1/cart"),
        () => Json(HttpMethod.Post, "/users/1/cart/items", """{"bookId":3,"quantity":1}"""),
        () => new HttpRequestMessage(HttpMethod.Delete, "/users/1/cart/items/3"),
        () => new HttpRequestMessage(HttpMethod.Delete, "/users/1/cart"),
        () => new HttpRequestMessage(HttpMethod.Get, "/users/1/recommendations?limit=3"),
        () => Json(HttpMethod.Put, "/users/1/ratings/3", """{"value":4}"""),
    ];

    [Fact]
    public async Task AdminRoutesRefuseEverythingButTheAdminKeyAndARefusalReachesNothing()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-auth-");
        await using var probe = await ApiAccessProbe.StartAsync(redis, Path.Combine(data.Path, "catalog.db"));
        var readerToken = await probe.Api.SignInAsync(1, Ct);
        using var http = probe.Api.CreateClient();
        using var admin = probe.Api.CreateAdminClient();
        var deletable = await CreateBookAsync(admin);

        var before = await probe.SampleAsync();
        foreach (var credential in new Credential[]
                 {
                     new("none", _ => { }),
                     new("a wrong key", r => r.Headers.Add("X-Api-Key", WrongKey(probe.Api.AdminKey))),
                     new("an empty key", r => r.Headers.Add("X-Api-Key", string.Empty)),
                     new("the key twice, once wrong", r => r.Headers.Add("X-Api-Key", [probe.Api.AdminKey, WrongKey(probe.Api.AdminKey)])),
                     new("a reader's session", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", readerToken)),
                 })
        {
            foreach (var request in AdminRequests(deletable))
            {
                using var response = await SendAsync(http, request(), credential);
                await AssertProblemAsync(response, HttpStatusCode.Unauthorized, credential);
                Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey" && h.Parameter == "header=\"X-Api-Key\"");
            }
        }

        // Nothing at all: no store call, no cache lookup, no Redis key read (a session is not looked at on an admin route).
        Assert.Equal(before, await probe.SampleAsync(), SampleComparer.Instance);

        foreach (var request in AdminRequests(deletable))
        {
            using var response = await admin.SendAsync(request(), Ct);
            Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}: {(int)response.StatusCode} with the admin key");
        }

        Assert.True((await probe.SampleAsync()).StoreCalls > before.StoreCalls, "The admin requests must reach the store (or this probe proves nothing).");
    }

    [Fact]
    public async Task ReaderRoutesServeOnlyTheReadersOwnSessionOrTheAdminKeyAndARefusalReachesNoReaderData()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-auth-");
        await using var probe = await ApiAccessProbe.StartAsync(redis, Path.Combine(data.Path, "catalog.db"));
        var own = await probe.Api.SignInAsync(1, Ct);
        var other = await probe.Api.SignInAsync(2, Ct);
        using var http = probe.Api.CreateClient();

        // Refused before any lookup: no credential, a wrong admin key, a token that is not shaped like a session token.
        var before = await probe.SampleAsync();
        foreach (var credential in new Credential[]
                 {
                     new("none", _ => { }),
                     new("a wrong key", r => r.Headers.Add("X-Api-Key", WrongKey(probe.Api.AdminKey))),
                     new("a malformed token", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", own.ToUpperInvariant())),
                     new("a path for a token", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "../books:1")),
                     new("another scheme", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjE6cGFzcw==")),
                 })
        {
            foreach (var request in ReaderRequests())
            {
                using var response = await SendAsync(http, request(), credential);
                await AssertProblemAsync(response, HttpStatusCode.Unauthorized, credential);
            }
        }

        Assert.Equal(before, await probe.SampleAsync(), SampleComparer.Instance);

        // Looked up as a session and refused: an unknown token (401) and another reader's token (403). The session
        // lookup is all they reach: no store call, no lookup of any other cache type.
        var unknown = new string('a', 64);
        foreach (var (credential, status) in new[]
                 {
                     (new Credential("an unknown token", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", unknown)), HttpStatusCode.Unauthorized),
                     (new Credential("another reader's token", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other)), HttpStatusCode.Forbidden),
                 })
        {
            foreach (var request in ReaderRequests())
            {
                using var response = await SendAsync(http, request(), credential);
                await AssertProblemAsync(response, status, credential);
            }
        }

        var after = await probe.SampleAsync();
        Assert.Equal(before.StoreCalls, after.StoreCalls);
        Assert.Equal(before.CacheLookupsExcept(Sessions), after.CacheLookupsExcept(Sessions));
        var sessionLookups = after.CacheLookupsOf(Sessions) - before.CacheLookupsOf(Sessions);
        Assert.Equal(2 * ReaderRequests().Count(), sessionLookups);
        // The probe sees Redis reads when there are some (so "unchanged" above is a real measurement).
        Assert.True(after.RedisKeyLookups > before.RedisKeyLookups);

        foreach (var client in new[] { probe.Api.CreateReaderClient(own), probe.Api.CreateAdminClient() })
        {
            using (client)
            {
                foreach (var request in ReaderRequests())
                {
                    using var response = await client.SendAsync(request(), Ct);
                    Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}: {(int)response.StatusCode}");
                }
            }
        }

        Assert.True((await probe.SampleAsync()).StoreCalls > after.StoreCalls);
    }

    [Fact]
    public async Task SessionsAreReadAndEndedOnlyByTheirOwnReaderOrTheAdminKey()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-auth-");
        await using var probe = await ApiAccessProbe.StartAsync(redis, Path.Combine(data.Path, "catalog.db"));
        var first = await probe.Api.SignInAsync(1, Ct);
        var second = await probe.Api.SignInAsync(1, Ct);
        var other = await probe.Api.SignInAsync(2, Ct);
        using var anonymous = probe.Api.CreateClient();
        using var own = probe.Api.CreateReaderClient(first);
        using var sameReader = probe.Api.CreateReaderClient(second);
        using var otherReader = probe.Api.CreateReaderClient(other);
        using var admin = probe.Api.CreateAdminClient();

        var before = await probe.SampleAsync();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
        {
            using var none = await anonymous.SendAsync(new HttpRequestMessage(method, "/sessions/" + first), Ct);
            await AssertProblemAsync(none, HttpStatusCode.Unauthorized, new("none", _ => { }));
            using var foreign = await otherReader.SendAsync(new HttpRequestMessage(method, "/sessions/" + first), Ct);
            await AssertProblemAsync(foreign, HttpStatusCode.Forbidden, new("another reader's token", _ => { }));

            // An unknown token looks the same as another reader's: a reader cannot probe which tokens exist.
            using var unknown = await own.SendAsync(new HttpRequestMessage(method, "/sessions/" + new string('b', 64)), Ct);
            await AssertProblemAsync(unknown, HttpStatusCode.Forbidden, new("own token, unknown session", _ => { }));
        }

        Assert.Equal(before.StoreCalls, (await probe.SampleAsync()).StoreCalls);

        (await ExpectAsync(own, HttpMethod.Get, "/sessions/" + first, HttpStatusCode.OK)).Dispose();
        (await ExpectAsync(sameReader, HttpMethod.Get, "/sessions/" + first, HttpStatusCode.OK)).Dispose();
        using (var operations = await ExpectAsync(admin, HttpMethod.Get, "/sessions/" + other, HttpStatusCode.OK))
        {
            Assert.Equal(2, (await operations.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userId").GetInt32());
        }

        // The refused DELETEs above ended nothing; the owner's does, from another of their sessions, and the ended
        // token signs no one in any more. The admin key ends anyone's session.
        (await ExpectAsync(sameReader, HttpMethod.Delete, "/sessions/" + first, HttpStatusCode.NoContent)).Dispose();
        (await ExpectAsync(own, HttpMethod.Get, "/sessions/" + second, HttpStatusCode.Unauthorized)).Dispose();
        (await ExpectAsync(admin, HttpMethod.Delete, "/sessions/" + other, HttpStatusCode.NoContent)).Dispose();
        using var signedOut = await ExpectAsync(otherReader, HttpMethod.Get, "/sessions/" + other, HttpStatusCode.Unauthorized);
        Assert.Contains(signedOut.Headers.WwwAuthenticate, h => h.Scheme == "Bearer" && h.Parameter!.Contains("invalid_token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutAConfiguredKeyTheAdminRoutesRefuseEveryKeyAndTheStartLogSaysHowToSetOne()
    {
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-auth-");
        await using var probe = await ApiAccessProbe.StartAsync(redis, Path.Combine(data.Path, "catalog.db"), builder =>
        {
            builder.UseSetting("Bookstore:Security:AdminApiKey", null);
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        });
        using var http = probe.Api.CreateClient();

        var before = await probe.SampleAsync();
        foreach (var key in new[] { probe.Api.AdminKey, string.Empty, "null" })
        {
            foreach (var request in AdminRequests(1))
            {
                using var response = await SendAsync(http, request(), new Credential("any key", r => r.Headers.Add("X-Api-Key", key)));
                await AssertProblemAsync(response, HttpStatusCode.Unauthorized, new("any key", _ => { }));
            }
        }

        Assert.Equal(before, await probe.SampleAsync(), SampleComparer.Instance);
        var warning = string.Join('\n', probe.Api.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == LogLevel.Warning && r.Category == typeof(Bookstore.ServiceDefaults.Security.AdminKeyStartupCheck).FullName).Select(r => r.Message));
        Assert.Contains("No admin key is configured", warning, StringComparison.Ordinal);
        Assert.Contains("Bookstore__Security__AdminApiKey", warning, StringComparison.Ordinal);
        Assert.Contains("api-admin-key", warning, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Json(HttpMethod method, string url, string body) =>
        new(method, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    /// <summary>The admin key with its last character changed: same length, so only the comparison can tell.</summary>
    private static string WrongKey(string key) => key[..^1] + (key[^1] == 'a' ? 'b' : 'a');

    private static async Task<int> CreateBookAsync(HttpClient admin)
    {
        using var created = await admin.SendAsync(Json(HttpMethod.Post, "/books", ValidBook), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt32();
    }

    private static async Task<HttpResponseMessage> ExpectAsync(HttpClient http, HttpMethod method, string url, HttpStatusCode expected)
    {
        var response = await http.SendAsync(new HttpRequestMessage(method, url), Ct);
        Assert.True(expected == response.StatusCode, $"{method} {url}: {(int)response.StatusCode}, expected {(int)expected}");
        return response;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, Credential credential)
    {
        credential.Apply(request);
        return await http.SendAsync(request, Ct);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, Credential credential)
    {
        var what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri} with {credential.Name}";
        Assert.True(expected == response.StatusCode, $"{what}: {(int)response.StatusCode}, expected {(int)expected}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
    }

    private sealed record Credential(string Name, Action<HttpRequestMessage> Apply);

    private sealed class SampleComparer : IEqualityComparer<ApiAccessProbe.Sample>
    {
        public static readonly SampleComparer Instance = new();

        public bool Equals(ApiAccessProbe.Sample? x, ApiAccessProbe.Sample? y) =>
            x is not null && y is not null && x.StoreCalls == y.StoreCalls && x.RedisKeyLookups == y.RedisKeyLookups
            && x.CacheLookups.Keys.Union(y.CacheLookups.Keys).All(type => x.CacheLookupsOf(type) == y.CacheLookupsOf(type));

        public int GetHashCode(ApiAccessProbe.Sample obj) => obj.StoreCalls.GetHashCode();
    }
}
