using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Security;

/// <summary>
/// The rate limits (<c>Bookstore:RateLimits</c>): sign-in attempts per client address and, apart, per user; anonymous
/// requests per client address (a token bucket); every refusal a 429 ProblemDetails with <c>Retry-After</c>; the admin
/// key never limited; nothing limited with the limits off. The test server has no client addresses, so each request
/// names its own in a test header, set as the connection's remote address before the API's pipeline runs.
/// </summary>
[Trait("Category", "Security")]
public sealed class RateLimitTests(RedisFixture redisServer) : IClassFixture<RedisFixture>, IDisposable
{
    private const string ClientHeader = "X-Test-Client-Address";

    private readonly TemporaryDirectory _data = new("bookstore-limits-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignInAttemptsAreLimitedPerClientAddressWhateverTheUser()
    {
        await using var api = await StartAsync(signInsPerMinute: 3);
        using var http = api.CreateClient();

        // Three attempts on three different readers from one address, wrong or right: each is answered on its merits.
        foreach (var userId in new[] { 1, 2, 3 })
        {
            using var attempt = await SignInAsync(http, "10.0.0.1", new { userId, password = "not-the-password" });
            Assert.Equal(HttpStatusCode.Unauthorized, attempt.StatusCode);
        }

        // The fourth, even with the right password of a fourth reader, is refused before its body is read.
        using (var refused = await SignInAsync(http, "10.0.0.1", new { userId = 4, password = api.ReaderPassword }))
        {
            await AssertTooManyAsync(refused, maxSeconds: 60);
        }

        using var otherAddress = await SignInAsync(http, "10.0.0.2", new { userId = 4, password = api.ReaderPassword });
        Assert.Equal(HttpStatusCode.Created, otherAddress.StatusCode);
    }

    [Fact]
    public async Task SignInAttemptsAreLimitedPerUserWhateverTheAddressAndWhetherByIdOrEmail()
    {
        await using var api = await StartAsync(signInsPerMinute: 3);
        using var http = api.CreateClient();

        // Three guesses at reader 1 (Ada) from three addresses, by id and by e-mail address.
        using (var first = await SignInAsync(http, "10.0.1.1", new { userId = 1, password = "guess-one-guess" }))
        using (var second = await SignInAsync(http, "10.0.1.2", new { email = "ada@example.org", password = "guess-two-guess" }))
        using (var third = await SignInAsync(http, "10.0.1.3", new { userId = 1, password = "guess-three-guess" }))
        {
            Assert.All([first, second, third], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        }

        // A fourth address, with the right password: reader 1 is paced, by id and by e-mail; reader 2 is not.
        using (var byId = await SignInAsync(http, "10.0.1.4", new { userId = 1, password = api.ReaderPassword }))
        {
            await AssertTooManyAsync(byId, maxSeconds: 60);
        }

        using (var byEmail = await SignInAsync(http, "10.0.1.5", new { email = "ADA@example.org", password = api.ReaderPassword }))
        {
            await AssertTooManyAsync(byEmail, maxSeconds: 60);
        }

        using var otherReader = await SignInAsync(http, "10.0.1.4", new { userId = 2, password = api.ReaderPassword });
        Assert.Equal(HttpStatusCode.Created, otherReader.StatusCode);
    }

    [Fact]
    public async Task AnonymousRequestsAreATokenBucketPerClientAddress()
    {
        await using var api = await StartAsync(readsPerSecond: 1, readBurst: 5);
        using var http = api.CreateClient();

        // The burst: catalog reads, a profile and monitoring all draw on the same bucket of the address.
        foreach (var path in new[] { "/books/1", "/books?page=1&pageSize=5", "/books/search?q=emma", "/users/1", "/cache/stats" })
        {
            using var allowed = await GetAsync(http, "10.0.2.1", path);
            Assert.True(allowed.StatusCode == HttpStatusCode.OK, $"{path}: {(int)allowed.StatusCode}");
        }

        using (var refused = await GetAsync(http, "10.0.2.1", "/books/2"))
        {
            await AssertTooManyAsync(refused, maxSeconds: 1);
        }

        using (var visit = await SendAsync(http, "10.0.2.1", new HttpRequestMessage(HttpMethod.Post, "/visits/home")))
        {
            await AssertTooManyAsync(visit, maxSeconds: 1);
        }

        using var otherAddress = await GetAsync(http, "10.0.2.2", "/books/2");
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
    }

    [Fact]
    public async Task TheAdminKeyIsNeverLimitedAndAWrongKeyIsLimitedLikeNoKey()
    {
        await using var api = await StartAsync(signInsPerMinute: 1, readsPerSecond: 1, readBurst: 1);
        using var admin = api.CreateAdminClient();

        await AssertNeverLimitedAsync(api, admin, "10.0.3.1", times: 20);

        using var wrongKey = api.CreateClient();
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", api.AdminKey[..^1] + (api.AdminKey[^1] == 'a' ? 'b' : 'a'));
        using (var first = await GetAsync(wrongKey, "10.0.3.1", "/books/1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = await GetAsync(wrongKey, "10.0.3.1", "/books/1");
        await AssertTooManyAsync(second, maxSeconds: 1);
    }

    [Fact]
    public async Task WithTheLimitsOffNothingIsLimited()
    {
        await using var api = await StartAsync(signInsPerMinute: 1, readsPerSecond: 1, readBurst: 1, enabled: false);
        using var http = api.CreateClient();

        await AssertNeverLimitedAsync(api, http, "10.0.4.1", times: 10);
    }

    /// <summary>Far more reads and sign-ins of one reader from one address than the limits allow, each answered on its merits.</summary>
    private static async Task AssertNeverLimitedAsync(CatalogApiFactory api, HttpClient http, string address, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using var read = await GetAsync(http, address, "/books/1");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            using var signIn = await SignInAsync(http, address, new { userId = 1, password = api.ReaderPassword });
            Assert.Equal(HttpStatusCode.Created, signIn.StatusCode);
        }
    }

    private async Task<CatalogApiFactory> StartAsync(int signInsPerMinute = 100, int readsPerSecond = 1000, int readBurst = 1000, bool enabled = true)
    {
        var redis = await redisServer.FlushedAsync();
        return new CatalogApiFactory(redis, Path.Combine(_data.Path, "catalog.db"), builder => builder
            .UseSetting("Bookstore:RateLimits:Enabled", enabled ? "true" : "false")
            .UseSetting("Bookstore:RateLimits:SignInsPerMinute", signInsPerMinute.ToString(CultureInfo.InvariantCulture))
            .UseSetting("Bookstore:RateLimits:ReadsPerSecond", readsPerSecond.ToString(CultureInfo.InvariantCulture))
            .UseSetting("Bookstore:RateLimits:ReadBurst", readBurst.ToString(CultureInfo.InvariantCulture))
            .ConfigureServices(services => services.AddTransient<IStartupFilter, ClientAddressFromHeader>()));
    }

    public void Dispose() => _data.Dispose();

    private static Task<HttpResponseMessage> SignInAsync(HttpClient http, string address, object body) =>
        SendAsync(http, address, new HttpRequestMessage(HttpMethod.Post, "/sessions") { Content = JsonContent.Create(body) });

    private static Task<HttpResponseMessage> GetAsync(HttpClient http, string address, string path) =>
        SendAsync(http, address, new HttpRequestMessage(HttpMethod.Get, path));

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string address, HttpRequestMessage request)
    {
        using (request)
        {
            request.Headers.Add(ClientHeader, address);
            return await http.SendAsync(request, Ct);
        }
    }

    private static async Task AssertTooManyAsync(HttpResponseMessage response, int maxSeconds)
    {
        var what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}";
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{what}: {(int)response.StatusCode}, expected 429");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        var retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture), 1, maxSeconds);
    }

    /// <summary>The test's stand-in for client addresses: the header's value becomes the connection's remote address.</summary>
    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(ClientHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
