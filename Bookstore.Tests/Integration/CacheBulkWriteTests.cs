using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Bookstore.Caching.Backplane;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Distributed;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>
/// <see cref="ICacheService.SetManyAsync{T}"/>: what it writes to Redis, what other instances see of it, each entry's
/// outcome, its pacing and its one notification per batch.
/// </summary>
[Trait("Category", "Integration")]
public abstract class CacheBulkWriteTestsBase<TFixture>(TFixture redis) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    protected static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetManyWritesTheEntrySetAsyncWritesAndAnotherInstanceReadsThemFromRedis()
    {
        var server = await redis.FlushedAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();

        // More than one pipelined batch.
        var books = Enumerable.Range(1, BulkWritePolicy.Default.BatchSize + 44).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        var written = await a.SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct);
        await a.SetAsync(CacheType.Books, Dune with { Id = 9000 }, "9000", [CacheTags.Book(9000)], Ct);

        Assert.Equal(books.Count, written);
        var db = first.Get<IConnectionMultiplexer>().GetDatabase();
        var bulk = await ReadEntryAsync(db, "bookstore:v1:books:7");
        var single = await ReadEntryAsync(db, "bookstore:v1:books:9000");

        // The same wrapper either way, FusionCache's own: the same members, the same logical duration and metadata.
        Assert.Equal(bulk.EnumerateObject().Select(p => p.Name), single.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Dune 7", bulk.GetProperty("value").GetProperty("title").GetString());
        Assert.Equal(["book:7"], bulk.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["book:9000"], single.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Duration(single), Duration(bulk));
        var (bulkMetadata, singleMetadata) = (bulk.GetProperty("metadata"), single.GetProperty("metadata"));
        foreach (var member in new[] { "isStale", "size", "priority", "eTag" })
        {
            Assert.Equal(singleMetadata.GetProperty(member).ToString(), bulkMetadata.GetProperty(member).ToString());
        }

        // Eager refresh at 90 % of the L1 duration (10 min) plus up to 2 min of jitter, as FusionCache computes it.
        foreach (var entry in new[] { bulk, single })
        {
            var eager = entry.GetProperty("metadata").GetProperty("eagerExpirationTimestamp").GetInt64() - entry.GetProperty("timestamp").GetInt64();
            Assert.InRange(eager, TimeSpan.FromMinutes(9).Ticks, TimeSpan.FromMinutes(10.8).Ticks);
        }

        // Both live in Redis until the fail-safe maximum (6 h), as one string each.
        foreach (var key in new[] { "bookstore:v1:books:7", "bookstore:v1:books:9000" })
        {
            Assert.Equal(RedisType.String, await db.KeyTypeAsync(key));
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromHours(5.9), TimeSpan.FromHours(6));
        }

        foreach (var book in books.Where(b => b.Id % 37 == 0))
        {
            var read = await b.GetOrSetEntryAsync<Book>(CacheType.Books, Id(book), _ => throw new InvalidOperationException("must come from Redis"), cancellationToken: Ct);
            Assert.Equal((CacheSource.L2, book.Title), (read.Source, read.Value.Title));
        }
    }

    [Fact]
    public async Task SetManyReplacesTheCopyAnotherInstanceHeldInItsL1()
    {
        var server = await redis.FlushedAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();
        await b.GetOrSetAsync(CacheType.Books, "5", _ => Task.FromResult(Dune with { Id = 5 }), cancellationToken: Ct);
        Assert.Equal(CacheSource.L1, (await b.GetOrSetEntryAsync<Book>(CacheType.Books, "5", _ => throw new InvalidOperationException(), cancellationToken: Ct)).Source);

        await a.SetManyAsync(CacheType.Books, [Write(Dune with { Id = 5, Title = "Dune (warmed)" })], Ct);

        Assert.True(await LinuxProcesses.WaitUntilAsync(
            async () => (await b.GetAsync<Book>(CacheType.Books, "5", Ct)).Value?.Title == "Dune (warmed)", TimeSpan.FromSeconds(10), Ct),
            "The other instance kept serving its L1 copy after SetManyAsync.");
    }

    [Fact]
    public async Task EntriesWrittenInBulkAreInvalidatedByTheirTags()
    {
        var server = await redis.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        await cache.SetManyAsync(CacheType.Books, [Write(Dune with { Id = 3 }), Write(Dune with { Id = 4 })], Ct);

        await cache.RemoveByTagAsync(CacheTags.Book(3), Ct);

        Assert.False((await cache.GetAsync<Book>(CacheType.Books, "3", Ct)).Found);
        Assert.True((await cache.GetAsync<Book>(CacheType.Books, "4", Ct)).Found);
    }

    [Fact]
    public async Task ValuesEncodedAsJsonGoOnlyToRedisInBulkNeverToAPersistentTypesL1()
    {
        var server = await redis.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        var json = new EncodedJson("""{"id":1}"""u8.ToArray());

        await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetManyAsync(CacheType.Reference, [new CacheWrite<EncodedJson>("1", json)], Ct).AsTask());
        Assert.False(await host.Get<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync("bookstore:v1:reference:1"));
    }

    [Fact]
    public async Task ALargeWriteLandsWholeAndAnotherInstanceReadsItFromRedis()
    {
        var server = await redis.FlushedAsync();
        using var writer = await CachingHost.StartWithCacheAsync(server);
        using var reader = await CachingHost.StartWithCacheAsync(server);

        var books = Enumerable.Range(1, 5000).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        Assert.Equal(books.Count, await writer.Get<ICacheService>().SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct));

        var db = writer.Get<IConnectionMultiplexer>().GetDatabase();
        foreach (var key in new[] { "bookstore:v1:books:1", "bookstore:v1:books:2500", "bookstore:v1:books:5000" })
        {
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromHours(5.9), TimeSpan.FromHours(6));
        }

        var cache = reader.Get<ICacheService>();
        foreach (var book in books.Where(b => b.Id % 97 == 0))
        {
            var read = await cache.GetOrSetEntryAsync<Book>(CacheType.Books, Id(book), _ => throw new InvalidOperationException("must come from Redis"), cancellationToken: Ct);
            Assert.Equal((CacheSource.L2, book.Title), (read.Source, read.Value.Title));
        }
    }

    [Fact]
    public async Task OtherInstancesAreToldOncePerBatchNotOncePerEntry()
    {
        var server = await redis.FlushedAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        using var other = await CachingHost.StartAsync(server);
        var listener = (await other.Get<RedisConnectionManager>().WhenConnectedAsync(Ct)).GetSubscriber();

        // Messages counted by their text, each batch's being its own: a cluster client may hold a subscription on more
        // than one node (StackExchange.Redis 3.4 can subscribe twice while it connects) and then gets a message twice.
        // Only this test's: a cluster delivers a message published on one node to the others over its bus, and a busy
        // machine can deliver an earlier test's late. The bulk messages name their writer (its source id); the backplane
        // messages name their key, and this test's ids start with digits of its own.
        var source = host.Get<L1DropChannel>().SourceId;
        var firstId = Random.Shared.Next(100_000, 999_999) * 10_000;
        var ours = "books:" + firstId.ToString(CultureInfo.InvariantCulture)[..6];
        var bulkMessages = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        var backplaneMessages = 0;
        await listener.SubscribeAsync(RedisChannel.Literal(L1DropChannel.Name), (_, message) =>
        {
            if (message.ToString().StartsWith(source, StringComparison.Ordinal))
            {
                bulkMessages.TryAdd(message.ToString(), 0);
            }
        });
        await listener.SubscribeAsync(RedisChannel.Pattern("bookstore:*"), (channel, message) =>
        {
            // The app user may subscribe to its one channel pattern only (ACL matches a pattern literally).
            if (channel.ToString().StartsWith("bookstore:backplane:books", StringComparison.Ordinal)
                && System.Text.Encoding.UTF8.GetString((byte[])message!).Contains(ours, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref backplaneMessages);
            }
        });

        var batch = BulkWritePolicy.Default.BatchSize;
        var books = Enumerable.Range(firstId + 1, (batch * 3) - 6).Select(i => Dune with { Id = i }).ToList();
        Assert.Equal(books.Count, await host.Get<ICacheService>().SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct));

        Assert.True(await LinuxProcesses.WaitUntilAsync(() => Task.FromResult(bulkMessages.Count >= 3), TimeSpan.FromSeconds(10), Ct));
        await Task.Delay(200, Ct);
        Assert.Equal(3, bulkMessages.Count);
        Assert.Equal(0, Volatile.Read(ref backplaneMessages));
    }

    protected static CacheWrite<Book> Write(Book book) => new(Id(book), book, [CacheTags.Book(book.Id)]);

    protected static long Duration(JsonElement entry) =>
        entry.GetProperty("logicalExpirationTimestamp").GetInt64() - entry.GetProperty("timestamp").GetInt64();

    protected static string Id(Book book) => book.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The L2 entry at <paramref name="key"/> as JSON: FusionCache's wrapper as stored, the book inside it.</summary>
    protected static async Task<JsonElement> ReadEntryAsync(IDatabase db, string key)
    {
        byte[]? payload = await db.StringGetAsync(key);
        Assert.NotNull(payload);
        return StoredEntries.Read(payload);
    }
}

public sealed class CacheBulkWriteTests(RedisFixture redis) : CacheBulkWriteTestsBase<RedisFixture>(redis)
{
    [Fact]
    public async Task SetsRedisRefusesAreCountedAsNotWrittenAndTheNextWriteLandsWhole()
    {
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        await using var admin = await ConnectAdminAsync(server);
        var cache = host.Get<ICacheService>();
        using var errors = new CacheErrorListener(host.Get<IMeterFactory>());
        Assert.Equal(1, await cache.SetManyAsync(CacheType.Books, [Write(Dune with { Id = 1 })], Ct));

        // Out of memory with nothing to evict: every SET is answered with -OOM.
        var server0 = admin.GetServer(admin.GetEndPoints()[0]);
        await server0.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server0.ConfigSetAsync("maxmemory", "1");
        var refused = await cache.SetManyAsync(CacheType.Books, [.. Enumerable.Range(10, 300).Select(i => Write(Dune with { Id = i }))], Ct);
        await server0.ConfigSetAsync("maxmemory", "0");

        Assert.Equal(0, refused);
        var recorded = errors.Errors.Where(e => e.Operation == "set_many").Sum(e => e.Count);
        Assert.Equal(300, recorded);
        Assert.False(await admin.GetDatabase().KeyExistsAsync("bookstore:v1:books:10"));

        // Redis takes writes again: the next write lands whole.
        Assert.Equal(300, await cache.SetManyAsync(CacheType.Books, [.. Enumerable.Range(10, 300).Select(i => Write(Dune with { Id = i }))], Ct));
        Assert.True(await admin.GetDatabase().KeyExistsAsync("bookstore:v1:books:309"));
    }

    [Fact]
    public async Task BulkWritesPauseWhileRedisAnswersSlowlyAndStillLandWhole()
    {
        await using var server = await RedisServer.StartAsync("--enable-debug-command", "yes");
        using var host = await CachingHost.StartWithCacheAsync(server);
        await using var admin = await ConnectAdminAsync(server);
        var cache = host.Get<ICacheService>();
        var writer = host.Get<CacheBulkWriter>();
        Assert.Equal(1, await cache.SetManyAsync(CacheType.Books, [Write(Dune)], Ct));
        var pausesBefore = writer.Pauses;

        // Redis stops answering for a second just as the write starts: its first batches come back that late.
        var stall = admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "1");
        await Task.Delay(50, Ct);
        var books = Enumerable.Range(1, BulkWritePolicy.Default.BatchSize * 12).Select(i => Dune with { Id = i }).ToList();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var written = await cache.SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        await stall;

        Assert.Equal(books.Count, written);
        Assert.True(writer.Pauses > pausesBefore, "The write did not pause after waiting most of a second for a batch.");

        // The rest of the stall (1 s less the time the write took to start, 50 ms when the machine is idle), then a
        // pause as long as that wait: twice the rest, over 900 ms for any start within 550 ms (a busy CI machine's delay).
        Assert.True(elapsed > TimeSpan.FromMilliseconds(900), $"The write took {elapsed.TotalMilliseconds:F0} ms: no pause after the stall.");
        foreach (var book in books.Where(b => b.Id % 101 == 0))
        {
            Assert.True(await admin.GetDatabase().KeyExistsAsync($"bookstore:v1:books:{book.Id}"));
        }
    }

    private static Task<ConnectionMultiplexer> ConnectAdminAsync(RedisServer server) =>
        ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");
}

/// <summary>Bulk writes on a Redis Cluster: batches of keys of every shard, one notification per batch.</summary>
public sealed class CacheBulkWriteClusterTests(RedisClusterFixture cluster) : CacheBulkWriteTestsBase<RedisClusterFixture>(cluster);
