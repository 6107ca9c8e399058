using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Caching.Metrics;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// <c>/redis/health</c> field by field as the seed document's example has it, and the same units in <c>/cache/stats</c>
/// and <c>/redis/metrics</c>: instants in Unix seconds, rates in percent (85.5), durations in seconds (0.002).
/// The seed's example JSON is not in this repository; its fields and units are the ones issue 16 and docs/DESIGN name.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MonitoringSeedShapeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedisHealthIsTheSeedsShapeInTheSeedsUnitsAndTheOtherEndpointsShareThem()
    {
        var started = UnixSecondsNow();
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-monitoring-");
        // Views are sent to Redis once a minute here, so no batch of them lands among the figures below.
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"),
            builder => builder.UseSetting("Bookstore:Popularity:ViewFlushInterval", "00:01:00"));
        using var http = api.CreateClient();

        // One miss, then three L1 hits: a 75 % hit rate, the miss's Redis and store round trip the one timed operation.
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.GetAsync(new Uri("/books/1", UriKind.Relative), Ct);
            response.EnsureSuccessStatusCode();
        }

        var asked = UnixSecondsNow();
        var health = await http.GetFromJsonAsync<JsonElement>("/redis/health", Ct);
        var answered = UnixSecondsNow();
        var expected = api.Services.GetRequiredService<CacheMetrics>().Snapshot();

        // The seed's fields in the seed's order; ours may only follow them.
        Assert.Equal(["status", "redis", "timestamp"], Names(health).Take(3));
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        AssertUnixSecondsBetween(asked, answered, health.GetProperty("timestamp"));

        var redisSection = health.GetProperty("redis");
        Assert.Equal(["healthy", "last_health_check", "metrics"], Names(redisSection).Take(3));
        Assert.True(redisSection.GetProperty("healthy").GetBoolean());
        AssertUnixSecondsBetween(started, health.GetProperty("timestamp").GetDouble(), redisSection.GetProperty("last_health_check"));

        var metrics = redisSection.GetProperty("metrics");
        Assert.Equal(["hit_rate", "error_rate", "total_operations", "avg_response_time"], Names(metrics).Take(4));
        AssertSeedMetrics(metrics, expected);

        var stats = await http.GetFromJsonAsync<JsonElement>("/cache/stats", Ct);
        AssertSeedMetrics(stats.GetProperty("totals"), expected);
        var books = stats.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("cache_type").GetString() == "books");
        Assert.Equal(75.0, books.GetProperty("hit_rate").GetDouble());
        AssertUnixSecondsBetween(asked, UnixSecondsNow(), stats.GetProperty("timestamp"));

        var redisMetrics = await http.GetFromJsonAsync<JsonElement>("/redis/metrics", Ct);
        AssertSeedMetrics(redisMetrics.GetProperty("client"), expected);
        AssertUnixSecondsBetween(asked, UnixSecondsNow(), redisMetrics.GetProperty("timestamp"));
    }

    private static void AssertSeedMetrics(JsonElement metrics, CacheMetricsSnapshot expected)
    {
        Assert.Equal(75.0, metrics.GetProperty("hit_rate").GetDouble());
        Assert.Equal(0.0, metrics.GetProperty("error_rate").GetDouble());
        Assert.Equal(4, metrics.GetProperty("total_operations").GetInt64());

        // Seconds: the API's own mean duration (in milliseconds the figure would be a thousand times larger).
        Assert.True(expected.AverageResponseTime > TimeSpan.Zero);
        Assert.Equal(Math.Round(expected.AverageResponseTime.TotalSeconds, 6), metrics.GetProperty("avg_response_time").GetDouble());
    }

    /// <summary>A JSON number of Unix seconds (not an ISO string, not milliseconds) within the instants the test read around it.</summary>
    private static void AssertUnixSecondsBetween(double earliest, double latest, JsonElement value)
    {
        Assert.Equal(JsonValueKind.Number, value.ValueKind);
        var seconds = value.GetDouble();
        Assert.InRange(seconds, earliest - 0.001, latest + 0.001);
    }

    private static double UnixSecondsNow() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static IEnumerable<string> Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name);
}
