using System.Net;
using System.Text.Json;
using Bookstore.Api.Popularity;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The read path's side effects: views of <c>GET /books/{id}</c> are added up in the API and sent to Redis as one batch
/// per flush interval (on a fake clock here, so no test waits for the interval), and a cached read logs nothing at the
/// shipped log levels.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BookViewsTests(RedisFixture redisServer) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task ABatchOfViewsReachesTheSortedSetWithinOneIntervalAsOneZincrbyPerBook()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = await redisServer.FlushedAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var data = new TemporaryDirectory("bookstore-views-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder => WithClock(builder, clock));
        using var http = api.CreateClient();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var db = admin.GetDatabase();
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        await ReadAsync(http, 3, 1);
        var zincrbyBefore = await CallsAsync(server, "zincrby");
        await ReadAsync(http, 3, 20);
        await ReadAsync(http, 5, 7);

        // Nothing is sent before the interval has passed: the reads themselves made no Redis call for their views.
        Assert.Null(await db.SortedSetScoreAsync(BookViews.Key, 3));
        Assert.Equal(zincrbyBefore, await CallsAsync(server, "zincrby"));

        Assert.True(await AfterOneIntervalAsync(clock, db, 5, 7), "The views of book 5 did not reach the sorted set after one interval");
        Assert.Equal(21, await db.SortedSetScoreAsync(BookViews.Key, 3));

        // One ZINCRBY per book viewed (books 3 and 5), whatever the number of views.
        Assert.Equal(zincrbyBefore + 2, await CallsAsync(server, "zincrby"));

        // The next interval sends only what was read since.
        await ReadAsync(http, 5, 1);
        Assert.True(await AfterOneIntervalAsync(clock, db, 5, 8), "The view of book 5 in the second interval did not arrive");
        Assert.Equal(21, await db.SortedSetScoreAsync(BookViews.Key, 3));
        Assert.Equal(zincrbyBefore + 3, await CallsAsync(server, "zincrby"));
    }

    [Fact(Timeout = 120_000)]
    public async Task ViewsCountedWhileRedisIsDownAreDroppedWithOneWarningAndEveryReadIsServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var data = new TemporaryDirectory("bookstore-views-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
        {
            WithClock(builder, clock);
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        });
        using var http = api.CreateClient();
        var logs = api.Services.GetRequiredService<FakeLogCollector>();

        // Book 4 in L1 first, so its reads are served while Redis is gone.
        await ReadAsync(http, 4, 1);
        await redis.KillAsync();

        for (var interval = 0; interval < 3; interval++)
        {
            await ReadAsync(http, 4, 10);
            var before = logs.Count;
            clock.Advance(Interval);

            // The flush has run once the next record appears (its warning or RedisService's) or the set is still empty.
            await LinuxProcesses.WaitUntilAsync(() => logs.Count > before, TimeSpan.FromSeconds(5), ct);
        }

        var warnings = logs.GetSnapshot().Where(r => r.Category == typeof(BookViews).FullName && r.Level >= LogLevel.Warning).ToList();
        var warning = Assert.Single(warnings);
        Assert.True(warning.Message.Contains("of 1 books", StringComparison.Ordinal), warning.Message);

        // Back up: the views counted from now on arrive; the dropped ones stay dropped.
        await redis.StartAgainAsync();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = admin.GetDatabase();
        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () =>
            {
                await ReadAsync(http, 4, 1);
                clock.Advance(Interval);
                await Task.Delay(100, ct);
                return await db.SortedSetScoreAsync(BookViews.Key, 4) is > 0;
            },
            TimeSpan.FromSeconds(30),
            ct), "Views were not counted again after Redis came back");
        Assert.True(await db.SortedSetScoreAsync(BookViews.Key, 4) < 30, "Views dropped during the outage were sent later");
    }

    [Fact(Timeout = 120_000)]
    public async Task ACachedBookReadWritesNoLogLineAtTheShippedLogLevels()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = await redisServer.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-views-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"), builder =>
        {
            // The API's own appsettings.json decides: take back the factory's quieter default.
            foreach (var (category, level) in ShippedLogLevels())
            {
                builder.UseSetting($"Logging:LogLevel:{category}", level);
            }

            builder.UseSetting("Bookstore:Popularity:ViewFlushInterval", "00:00:00.100");
            builder.ConfigureLogging(logging => logging.AddFakeLogging());
        });
        using var http = api.CreateClient();
        var logs = api.Services.GetRequiredService<FakeLogCollector>();

        // The first read of a book loads it (a miss); after it, reads are L1 hits.
        await ReadAsync(http, 2, 1);
        using (var second = await http.GetAsync(new Uri("/books/2", UriKind.Relative), ct))
        {
            Assert.Equal("hit-l1", second.Headers.GetValues("X-Cache").Single());
        }

        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = admin.GetDatabase();
        Assert.True(await LinuxProcesses.WaitUntilAsync(async () => await db.SortedSetScoreAsync(BookViews.Key, 2) == 2, TimeSpan.FromSeconds(10), ct));
        logs.Clear();

        await ReadAsync(http, 2, 50);

        // Include the views' flush: it is part of what the reads cost.
        Assert.True(await LinuxProcesses.WaitUntilAsync(async () => await db.SortedSetScoreAsync(BookViews.Key, 2) == 52, TimeSpan.FromSeconds(10), ct));
        var lines = logs.GetSnapshot();
        Assert.True(lines.Count == 0, "Cached reads wrote log lines:\n" + string.Join('\n', lines.Select(r => $"{r.Level} {r.Category}: {r.Message}")));
    }

    /// <summary>Moves the clock one flush interval on and waits (in real time, bounded) for the book's score to arrive.</summary>
    private static Task<bool> AfterOneIntervalAsync(FakeTimeProvider clock, IDatabase db, int bookId, double views)
    {
        clock.Advance(Interval);
        return LinuxProcesses.WaitUntilAsync(async () => await db.SortedSetScoreAsync(BookViews.Key, bookId) == views, TimeSpan.FromSeconds(10), Ct);
    }

    private static void WithClock(IWebHostBuilder builder, FakeTimeProvider clock) =>
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));

    private static async Task ReadAsync(HttpClient http, int bookId, int times)
    {
        for (var i = 0; i < times; i++)
        {
            using var response = await http.GetAsync(new Uri($"/books/{bookId}", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static async Task<long> CallsAsync(IServer server, string command)
    {
        var stats = await server.InfoAsync("commandstats");
        var line = stats.SelectMany(group => group).FirstOrDefault(pair => pair.Key == "cmdstat_" + command);
        return line.Value is null ? 0 : long.Parse(line.Value.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary><c>Logging:LogLevel</c> of the API's appsettings.json, as shipped.</summary>
    private static IEnumerable<(string Category, string Level)> ShippedLogLevels()
    {
        var path = Path.Combine(RedisServer.RepositoryRoot(), "Bookstore.Api", "appsettings.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var level in json.RootElement.GetProperty("Logging").GetProperty("LogLevel").EnumerateObject())
        {
            yield return (level.Name, level.Value.GetString()!);
        }
    }
}
