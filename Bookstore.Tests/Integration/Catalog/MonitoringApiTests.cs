using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>/redis/health, /redis/metrics and /cache/stats after a known sequence of reads, and while Redis is down.</summary>
[Trait("Category", "Integration")]
public sealed class MonitoringApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FiguresMatchThreeHitsAndOneMiss()
    {
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-monitoring-");
        // Views are sent to Redis once a minute here, so no batch of them lands among the figures below.
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"),
            builder => builder.UseSetting("Bookstore:Popularity:ViewFlushInterval", "00:01:00"));
        using var http = api.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            using var response = await http.GetAsync(new Uri("/books/1", UriKind.Relative), Ct);
            response.EnsureSuccessStatusCode();
        }

        // Four cache lookups are the operations: the reads' views wait in the API for the next batch (BookViews).
        var health = await http.GetFromJsonAsync<JsonElement>("/redis/health", Ct);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        var redisSection = health.GetProperty("redis");
        Assert.True(redisSection.GetProperty("healthy").GetBoolean());
        Assert.Equal(JsonValueKind.Number, redisSection.GetProperty("last_health_check").ValueKind);
        var metrics = redisSection.GetProperty("metrics");
        Assert.Equal(75.0, metrics.GetProperty("hit_rate").GetDouble(), 3);
        Assert.Equal(0.0, metrics.GetProperty("error_rate").GetDouble());
        Assert.Equal(4, metrics.GetProperty("total_operations").GetInt64());
        Assert.True(metrics.GetProperty("avg_response_time").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Number, health.GetProperty("timestamp").ValueKind);

        var stats = await http.GetFromJsonAsync<JsonElement>("/cache/stats", Ct);
        var books = stats.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("cache_type").GetString() == "books");
        Assert.Equal(3, books.GetProperty("hits").GetInt64());
        Assert.Equal(1, books.GetProperty("misses").GetInt64());
        Assert.Equal(0, books.GetProperty("stale").GetInt64());
        Assert.Equal(75.0, books.GetProperty("hit_rate").GetDouble(), 3);
        Assert.True(stats.GetProperty("l1_entries").GetInt32() >= 1);

        var serverMetrics = await http.GetFromJsonAsync<JsonElement>("/redis/metrics", Ct);
        Assert.Equal("connected", serverMetrics.GetProperty("connection_status").GetString());
        Assert.Equal(4, serverMetrics.GetProperty("client").GetProperty("total_operations").GetInt64());
    }

    [Fact(Timeout = 120_000)]
    public async Task RedisDownIsDegradedWhileBooksAreStillServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-monitoring-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();
        (await http.GetAsync(new Uri("/books/1", UriKind.Relative), ct)).Dispose();

        await redis.KillAsync();

        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>("/redis/health", ct)).GetProperty("status").GetString() == "degraded",
            TimeSpan.FromSeconds(20),
            ct));
        using var health = await http.GetAsync(new Uri("/redis/health", UriKind.Relative), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);

        // What failed, in the fixed vocabulary: never the exception's text (host, port, user, server reply).
        var lastError = (await health.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("redis").GetProperty("last_error").GetString();
        Assert.Contains(lastError, new[] { "connection_refused", "connection_lost", "timeout", "not_connected" });
        using var book = await http.GetAsync(new Uri("/books/2", UriKind.Relative), ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, book.StatusCode);
        var metrics = await http.GetFromJsonAsync<JsonElement>("/redis/metrics", ct);
        Assert.Equal("disconnected", metrics.GetProperty("connection_status").GetString());
    }
}
