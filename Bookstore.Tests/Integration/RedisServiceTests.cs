using System.Diagnostics;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Redis;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary><see cref="IRedisService"/> against one redis-server (<see cref="RedisServiceTests"/>) and a Redis Cluster (<see cref="RedisServiceClusterTests"/>).</summary>
[Trait("Category", "Integration")]
public abstract class RedisServiceTestsBase<TFixture>(TFixture redisServer) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    protected static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000, "9780441013593", 1965, "eng");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryOperationWorksAgainstARealServer()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();

        Assert.True(await redis.SetAsync("book:1", Dune, TimeSpan.FromMinutes(30), Ct));
        var read = await redis.GetAsync<Book>("book:1", Ct);
        Assert.True(read.Found);
        Assert.Equal(Dune.Title, read.Value!.Title);
        Assert.Equal(Dune.Authors, read.Value.Authors);

        Assert.True(await redis.ExistsAsync("book:1", Ct));
        var ttl = await redis.TimeToLiveAsync("book:1", Ct);
        Assert.True(ttl.Found);
        Assert.InRange(ttl.Value!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        Assert.True(await redis.ExpireAsync("book:1", null, Ct));
        var persistent = await redis.TimeToLiveAsync("book:1", Ct);
        Assert.True(persistent.Found);
        Assert.Null(persistent.Value);
        Assert.True(await redis.ExpireAsync("book:1", TimeSpan.FromMinutes(5), Ct));
        Assert.InRange((await redis.TimeToLiveAsync("book:1", Ct)).Value!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));

        Assert.True(await redis.DeleteAsync("book:1", Ct));
        Assert.False(await redis.DeleteAsync("book:1", Ct));
        Assert.False(await redis.ExistsAsync("book:1", Ct));
        Assert.False((await redis.GetAsync<Book>("book:1", Ct)).Found);
        Assert.False((await redis.TimeToLiveAsync("book:1", Ct)).Found);
        Assert.False(await redis.ExpireAsync("book:1", TimeSpan.FromMinutes(1), Ct));

        Assert.Equal(1, (await redis.IncrementAsync("visits:page:home", cancellationToken: Ct)).Value);
        Assert.Equal(11, (await redis.IncrementAsync("visits:page:home", 10, Ct)).Value);
        Assert.Equal(8, (await redis.DecrementAsync("visits:page:home", 3, Ct)).Value);
        Assert.Equal(8L, (await redis.GetAsync<long>("visits:page:home", Ct)).Value);
    }

    [Fact]
    public async Task StringsAndNumbersAreStoredRawSoRedisCommandsWorkOnThem()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();

        Assert.True(await redis.SetAsync("greeting", "héllo", cancellationToken: Ct));
        Assert.True(await redis.SetAsync("stock:42", 5L, cancellationToken: Ct));

        Assert.Equal("héllo", (string?)await db.StringGetAsync("bookstore:greeting"));
        Assert.Equal(6, await db.StringIncrementAsync("bookstore:stock:42"));
        Assert.Equal(6L, (await redis.GetAsync<long>("stock:42", Ct)).Value);
        Assert.Equal("héllo", (await redis.GetAsync<string>("greeting", Ct)).Value);
    }

    [Fact]
    public async Task ManyKeysAreReadAndWrittenInOneCall()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();

        var books = Enumerable.Range(1, 50).Select(i => Dune with { Id = i, Title = $"Book {i}" }).ToList();
        Assert.True(await redis.SetManyAsync(books.Select(b => KeyValuePair.Create($"book:{b.Id}", b)).ToList(), TimeSpan.FromMinutes(10), Ct));
        Assert.True(await redis.SetManyAsync([KeyValuePair.Create("book:persistent", Dune), KeyValuePair.Create("book:kept", Dune), KeyValuePair.Create("book:held", Dune)], RedisService.NoExpiry, Ct));

        var keys = books.Select(b => $"book:{b.Id}").Append("book:missing").Append("book:held").Append("book:persistent").ToList();
        var read = await redis.GetManyAsync<Book>(keys, Ct);

        Assert.Equal(keys.Count, read.Count);
        for (var i = 0; i < books.Count; i++)
        {
            Assert.True(read[i].Found);
            Assert.Equal(books[i].Title, read[i].Value!.Title);
        }

        Assert.False(read[^3].Found);
        Assert.True(read[^2].Found);
        Assert.True(read[^1].Found);
        Assert.Null((await redis.TimeToLiveAsync("book:persistent", Ct)).Value);
        Assert.Null((await redis.TimeToLiveAsync("book:kept", Ct)).Value);
        Assert.NotNull((await redis.TimeToLiveAsync("book:7", Ct)).Value);
    }

    [Fact]
    public async Task TimeToLiveIsHonoured()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();

        Assert.True(await redis.SetAsync("session:short", "token", TimeSpan.FromMilliseconds(300), Ct));
        Assert.True((await redis.GetAsync<string>("session:short", Ct)).Found);

        var expired = await LinuxProcesses.WaitUntilAsync(
            async () => !await redis.ExistsAsync("session:short", Ct), TimeSpan.FromSeconds(5), Ct);
        Assert.True(expired);
        Assert.False((await redis.GetAsync<string>("session:short", Ct)).Found);
    }

    [Fact]
    public async Task IncrementIsExactUnder32ConcurrentCallers()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();

        var callers = Enumerable.Range(0, 32).Select(async _ =>
        {
            for (var i = 0; i < 100; i++)
            {
                Assert.True((await redis.IncrementAsync("views:book:1", cancellationToken: Ct)).Succeeded);
            }
        });
        await Task.WhenAll(callers);

        Assert.Equal(3200L, (await redis.GetAsync<long>("views:book:1", Ct)).Value);
    }

    [Fact]
    public async Task SortedSetsCountExactlyAndRankByScoreWithAFloor()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();

        // 32 concurrent callers on one member, a few on others: ZINCRBY is exact and answers the new count.
        var counts = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => redis.IncrementScoreAsync("views:books", "7", 1, Ct)));
        Assert.All(counts, c => Assert.True(c.Succeeded));
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), counts.Select(c => c.Value).Order());
        Assert.Equal(5, (await redis.IncrementScoreAsync("views:books", "3", 5, Ct)).Value);
        Assert.Equal(1, (await redis.IncrementScoreAsync("views:books", "9", 1, Ct)).Value);
        Assert.Equal(32, await db.SortedSetScoreAsync("bookstore:views:books", "7"));

        var top = await redis.GetTopScoresAsync("views:books", 2, cancellationToken: Ct);
        Assert.True(top.Found);
        Assert.Equal([new ScoredMember("7", 32), new ScoredMember("3", 5)], top.Value!);
        Assert.Equal(["7", "3"], (await redis.GetTopScoresAsync("views:books", 10, minScore: 2, Ct)).Value!.Select(m => m.Member));
        Assert.Empty((await redis.GetTopScoresAsync("views:none", 10, cancellationToken: Ct)).Value!);

        Assert.Equal([32, null, 1], (await redis.GetScoresAsync("views:books", ["7", "8", "9"], Ct)).Value!);

        Assert.True(await redis.SetScoreAsync("activity:readers", "4", 100, Ct));
        Assert.True(await redis.SetScoreAsync("activity:readers", "4", 200, Ct));
        Assert.Equal(200, await db.SortedSetScoreAsync("bookstore:activity:readers", "4"));
    }

    [Fact]
    public async Task MetricCountsEqualTheOperationsPerformed()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        var meterFactory = host.Get<System.Diagnostics.Metrics.IMeterFactory>();
        using var durations = new MetricCollector<double>(meterFactory, CacheMetrics.MeterName, "bookstore.cache.operation.duration");
        using var requests = new MetricCollector<long>(meterFactory, CacheMetrics.MeterName, "bookstore.cache.requests");
        var before = host.Get<CacheMetrics>().Snapshot();

        for (var i = 0; i < 5; i++)
        {
            await redis.SetAsync($"user:{i}", new UserProfile(i, $"Reader {i}", $"r{i}@example.org", DateTimeOffset.UnixEpoch), cancellationToken: Ct);
        }

        for (var i = 0; i < 7; i++)
        {
            await redis.GetAsync<UserProfile>($"user:{i}", Ct);
        }

        await redis.DeleteAsync("user:0", Ct);
        await redis.DeleteAsync("user:1", Ct);

        var measurements = durations.GetMeasurementSnapshot();
        Assert.Equal(5, measurements.Count(m => Equals(m.Tags["cache.operation"], "set")));
        Assert.Equal(7, measurements.Count(m => Equals(m.Tags["cache.operation"], "get")));
        Assert.Equal(2, measurements.Count(m => Equals(m.Tags["cache.operation"], "delete")));
        Assert.All(measurements, m => Assert.Equal("user", m.Tags["cache.type"]));

        // bookstore.cache.requests is an observable counter: one collection reads the running totals.
        requests.RecordObservableInstruments();
        var lookups = requests.GetMeasurementSnapshot().Where(m => Equals(m.Tags["cache.type"], "user")).ToList();
        Assert.Equal(5, lookups.Where(m => Equals(m.Tags["cache.outcome"], "hit")).Sum(m => m.Value));
        Assert.Equal(2, lookups.Where(m => Equals(m.Tags["cache.outcome"], "miss")).Sum(m => m.Value));

        var after = host.Get<CacheMetrics>().Snapshot();
        Assert.Equal(14, after.TotalOperations - before.TotalOperations);
        var users = Assert.Single(after.Types, t => t.CacheType == "user");
        Assert.Equal(5, users.Hits);
        Assert.Equal(2, users.Misses);
        Assert.Equal(5, users.PayloadsWritten);
    }

    [Fact]
    public async Task UndecodableValueIsAMissWithAMetricAndIsDeleted()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        using var errors = new MetricCollector<long>(host.Get<System.Diagnostics.Metrics.IMeterFactory>(), CacheMetrics.MeterName, "bookstore.cache.errors");

        await db.StringSetAsync("bookstore:book:9", new byte[] { 0xFF, 0x00, 0x13, 0x37, 0x42 });

        var read = await redis.GetAsync<Book>("book:9", Ct);

        Assert.False(read.Found);
        Assert.Contains(errors.GetMeasurementSnapshot(), m => Equals(m.Tags["cache.operation"], "deserialize"));
        Assert.True(await LinuxProcesses.WaitUntilAsync(async () => !await db.KeyExistsAsync("bookstore:book:9"), TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public async Task CancellationIsHonoured()
    {
        var server = await redisServer.FlushedAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => redis.GetAsync<Book>("book:1", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => redis.IncrementAsync("visits", 1, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => redis.SetAsync("book:1", Dune, cancellationToken: cancelled.Token));

        // A call cancelled before it starts sends nothing: neither the counter nor the book reached Redis.
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        Assert.False(await db.KeyExistsAsync("bookstore:visits"));
        Assert.False(await db.KeyExistsAsync("bookstore:book:1"));
    }

}

public sealed class RedisServiceTests(RedisFixture redisServer) : RedisServiceTestsBase<RedisFixture>(redisServer)
{
    [Fact(Timeout = 120_000)]
    public async Task EveryCallReturnsWithinItsTimeoutWhileRedisIsDownAndSucceedsAfterItReturns()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartAsync(server);
        var redis = host.Get<IRedisService>();
        var connection = host.Get<RedisConnectionManager>();
        using var errors = new MetricCollector<long>(host.Get<System.Diagnostics.Metrics.IMeterFactory>(), CacheMetrics.MeterName, "bookstore.cache.errors");
        Assert.True(await redis.SetAsync("book:1", Dune, cancellationToken: ct));

        await server.KillAsync();
        var limit = connection.OperationTimeout + TimeSpan.FromSeconds(1);

        // Every operation, each bounded by the configured operation timeout, each failing the documented way.
        await AssertWithin(limit, async () => Assert.False((await redis.GetAsync<Book>("book:1", ct)).Found));
        await AssertWithin(limit, async () => Assert.False(await redis.SetAsync("book:2", Dune, cancellationToken: ct)));
        await AssertWithin(limit, async () => Assert.False(await redis.DeleteAsync("book:1", ct)));
        await AssertWithin(limit, async () => Assert.False(await redis.ExistsAsync("book:1", ct)));
        await AssertWithin(limit, async () => Assert.False((await redis.IncrementAsync("visits", 1, ct)).Succeeded));
        await AssertWithin(limit, async () => Assert.False((await redis.DecrementAsync("visits", 1, ct)).Succeeded));
        await AssertWithin(limit, async () => Assert.False(await redis.ExpireAsync("book:1", TimeSpan.FromMinutes(1), ct)));
        await AssertWithin(limit, async () => Assert.False((await redis.TimeToLiveAsync("book:1", ct)).Found));
        await AssertWithin(limit, async () => Assert.All(await redis.GetManyAsync<Book>(["book:1", "book:2"], ct), r => Assert.False(r.Found)));
        await AssertWithin(limit, async () => Assert.False(await redis.SetManyAsync([KeyValuePair.Create("book:3", Dune)], TimeSpan.FromMinutes(1), ct)));
        await AssertWithin(limit, async () => Assert.False((await redis.IncrementScoreAsync("views:books", "1", 1, ct)).Succeeded));
        await AssertWithin(limit, async () => Assert.False(await redis.SetScoreAsync("activity:readers", "1", 1, ct)));
        await AssertWithin(limit, async () => Assert.False((await redis.GetTopScoresAsync("views:books", 10, cancellationToken: ct)).Found));
        await AssertWithin(limit, async () => Assert.False((await redis.GetScoresAsync("views:books", ["1"], ct)).Found));

        var failed = await redis.IncrementAsync("visits", 1, ct);
        Assert.Throws<InvalidOperationException>(() => failed.Value);
        Assert.True(errors.GetMeasurementSnapshot().Count >= 15);

        var downAt = Stopwatch.GetTimestamp();
        await server.StartAgainAsync();
        var restartedAt = Stopwatch.GetTimestamp();
        var back = await LinuxProcesses.WaitUntilAsync(
            () => redis.SetAsync("book:4", Dune, cancellationToken: ct), TimeSpan.FromSeconds(30), ct);
        Assert.True(back, "RedisService did not recover within 30 s of the server's restart.");
        TestContext.Current.SendDiagnosticMessage(
            $"Reconnected {Stopwatch.GetElapsedTime(restartedAt).TotalMilliseconds:F0} ms after redis-server was ready again " +
            $"(outage {Stopwatch.GetElapsedTime(downAt).TotalMilliseconds:F0} ms); manager: {connection.Health.LastReconnectDuration?.TotalMilliseconds:F0} ms.");

        Assert.True((await redis.IncrementAsync("visits", 1, ct)).Succeeded);
        Assert.True(connection.Health.ConnectionFailures >= 1);
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.ConnectionRestorations >= 1, TimeSpan.FromSeconds(10), ct));
    }

    private static async Task AssertWithin(TimeSpan limit, Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call();
        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.True(elapsed <= limit, $"The call took {elapsed.TotalMilliseconds:F0} ms; its timeout allows {limit.TotalMilliseconds:F0} ms.");
    }
}

/// <summary>The same operations on a Redis Cluster: keys of one call spread over every shard, no CROSSSLOT refusal.</summary>
public sealed class RedisServiceClusterTests(RedisClusterFixture cluster) : RedisServiceTestsBase<RedisClusterFixture>(cluster);
