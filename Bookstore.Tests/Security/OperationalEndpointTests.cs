extern alias worker;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bookstore.Tests.Security;

/// <summary>
/// No operational endpoint is open: the worker's <c>GET /warming</c> (which lists active reader ids) and
/// <c>POST /warming/run</c> (a full warm run), and the api's <c>GET /redis/roundtrip</c> (three Redis operations a
/// call), answer 401 ProblemDetails without the admin key, with a wrong one or with none configured, and work with it.
/// </summary>
[Trait("Category", "Security")]
public sealed class OperationalEndpointTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private const string AdminKey = "operational-endpoints-test-key";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheWorkersWarmingEndpointsAnswer401WithoutTheAdminKeyAndWorkWithIt()
    {
        await using var worker = new WorkerFactory(await redisServer.FlushedAsync(), AdminKey);
        using var http = worker.CreateClient();

        foreach (var key in new[] { null, string.Empty, AdminKey + "x", AdminKey.ToUpperInvariant() })
        {
            foreach (var request in WarmingRequests())
            {
                await AssertRefusedAsync(http, request(), key);
            }
        }

        using (var status = await SendAsync(http, new HttpRequestMessage(HttpMethod.Get, "/warming"), AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            var state = await status.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(state.TryGetProperty("phase", out _), state.GetRawText());
        }

        using var run = await SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/warming/run"), AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
    }

    [Fact]
    public async Task WithoutAConfiguredKeyTheWorkerRefusesEveryKeyAndItsStartLogSaysHowToSetOne()
    {
        await using var worker = new WorkerFactory(await redisServer.FlushedAsync(), adminKey: null);
        using var http = worker.CreateClient();

        foreach (var key in new[] { null, AdminKey, string.Empty })
        {
            foreach (var request in WarmingRequests())
            {
                await AssertRefusedAsync(http, request(), key);
            }
        }

        var warning = Assert.Single(worker.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("No admin key is configured", StringComparison.Ordinal));
        Assert.Contains("GET /warming and POST /warming/run", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Bookstore__Security__AdminApiKey", warning.Message, StringComparison.Ordinal);
        Assert.Contains("api-admin-key", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApisRedisRoundTripAnswers401WithoutTheAdminKeyAndWorksWithIt()
    {
        using var data = new TemporaryDirectory("bookstore-operational-");
        await using var api = new CatalogApiFactory(await redisServer.FlushedAsync(), Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();

        foreach (var key in new[] { null, string.Empty, api.AdminKey + "x" })
        {
            await AssertRefusedAsync(http, new HttpRequestMessage(HttpMethod.Get, "/redis/roundtrip"), key);
        }

        using var roundTrip = await SendAsync(http, new HttpRequestMessage(HttpMethod.Get, "/redis/roundtrip"), api.AdminKey);
        Assert.Equal(HttpStatusCode.OK, roundTrip.StatusCode);
        Assert.True((await roundTrip.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("ok").GetBoolean());
    }

    private static IEnumerable<Func<HttpRequestMessage>> WarmingRequests() =>
    [
        () => new HttpRequestMessage(HttpMethod.Get, "/warming"),
        () => new HttpRequestMessage(HttpMethod.Post, "/warming/run"),
    ];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, string? key)
    {
        using (request)
        {
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            return await http.SendAsync(request, Ct);
        }
    }

    private static async Task AssertRefusedAsync(HttpClient http, HttpRequestMessage request, string? key)
    {
        var what = $"{request.Method} {request.RequestUri} with {(key is null ? "no key" : $"the key '{key}'")}";
        using var response = await SendAsync(http, request, key);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}, expected 401");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetInt32());
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey" && h.Parameter == "header=\"X-Api-Key\"");
    }

    /// <summary>
    /// The real worker in-process on the test's redis-server, its catalog a port where nothing listens (its warming runs
    /// fail and back off, which these tests do not look at), its log collected.
    /// </summary>
    private sealed class WorkerFactory(RedisServer redis, string? adminKey) : WebApplicationFactory<worker::Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:cache", redis.ConnectionString);
            builder.UseSetting("Bookstore:Security:AdminApiKey", adminKey);
            builder.UseSetting("Bookstore:Warming:CatalogUrl", "http://127.0.0.1:9");
            builder.UseSetting("Bookstore:Warming:IntervalMinutes", "60");
            builder.UseSetting("Bookstore:Redis:EnableMonitoring", "false");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Polly", "Error");
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        }
    }
}
