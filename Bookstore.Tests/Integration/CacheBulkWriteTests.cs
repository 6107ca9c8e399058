using System.Diagnostics.Metrics;
using System.Globalization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace Bookstore.Tests.Integration;

/// <summary>
/// <see cref="ICacheService.SetManyAsync{T}"/>: what it writes to Redis, and what other instances see of it; over its own
/// connection and through the multiplexer; that connection's failures.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CacheBulkWriteTests
{
    private static readonly Book Dune = new(1, "Dune", ["Frank Herbert"], 4.25, 1_000_000);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetManyWritesTheEntrySetAsyncWritesAndAnotherInstanceReadsThemFromRedis()
    {
        await using var server = await RedisServer.StartAsync();
        using var first = await CachingHost.StartWithCacheAsync(server);
        using var second = await CachingHost.StartWithCacheAsync(server);
        var a = first.Get<ICacheService>();
        var b = second.Get<ICacheService>();

        // More than one pipelined batch.
        var books = Enumerable.Range(1, RedisBulkWriter.BatchSize + 44).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        var written = await a.SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct);
        await a.SetAsync(CacheType.Books, Dune with { Id = 9000 }, "9000", [CacheTags.Book(9000)], Ct);

        Assert.Equal(books.Count, written);
        var db = first.Get<IConnectionMultiplexer>().GetDatabase();
        var serializer = first.Get<CacheSerializer>();
        var bulk = await ReadEntryAsync(db, serializer, "bookstore:v1:books:7");
        var single = await ReadEntryAsync(db, serializer, "bookstore:v1:books:9000");
        Assert.Equal("Dune 7", bulk.Value.Title);
        Assert.Equal(["book:7"], bulk.Tags ?? []);
        Assert.Equal(["book:9000"], single.Tags ?? []);
        Assert.Equal(single.LogicalExpirationTimestamp - single.Timestamp, bulk.LogicalExpirationTimestamp - bulk.Timestamp);
        Assert.NotNull(bulk.Metadata);
        Assert.NotNull(single.Metadata);
        Assert.Equal((single.Metadata.IsStale, single.Metadata.Size, single.Metadata.Priority, single.Metadata.ETag), (bulk.Metadata.IsStale, bulk.Metadata.Size, bulk.Metadata.Priority, bulk.Metadata.ETag));

        // Eager refresh at 90 % of the L1 duration (10 min) plus up to 2 min of jitter, as FusionCache computes it.
        foreach (var entry in new[] { bulk, single })
        {
            Assert.InRange(entry.Metadata!.EagerExpirationTimestamp!.Value - entry.Timestamp, TimeSpan.FromMinutes(9).Ticks, TimeSpan.FromMinutes(10.8).Ticks);
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
        await using var server = await RedisServer.StartAsync();
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
        await using var server = await RedisServer.StartAsync();
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
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        var cache = host.Get<ICacheService>();
        var json = new EncodedJson("""{"id":1}"""u8.ToArray());

        await Assert.ThrowsAsync<NotSupportedException>(() => cache.SetManyAsync(CacheType.Reference, [new CacheWrite<EncodedJson>("1", json)], Ct).AsTask());
        Assert.False(await host.Get<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync("bookstore:v1:reference:1"));
    }

    // Over its own RESP connection (Bookstore:Cache:BulkWriteConnection, on by default) against the multiplexer's batches.
    [Fact]
    public async Task TheBulkConnectionWritesWhatTheMultiplexerPathWritesUnderItsOwnClientName()
    {
        await using var server = await RedisServer.StartAsync();
        using var bulk = await CachingHost.StartWithCacheAsync(server);
        using var multiplexer = await CachingHost.StartWithCacheAsync(server, new KeyValuePair<string, string?>("Bookstore:Cache:BulkWriteConnection", "false"));
        await using var admin = await ConnectAdminAsync(server);

        // Several lanes' worth, so a large write is split over parallel connections where the machine has the cores.
        var books = Enumerable.Range(1, 5000).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        Assert.Equal(books.Count, await bulk.Get<ICacheService>().SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct));
        Assert.Equal(1, await multiplexer.Get<ICacheService>().SetManyAsync(CacheType.Books, [Write(Dune with { Id = 9000 })], Ct));

        var clients = (string)(await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!;
        Assert.Contains("name=Bookstore.Tests-bulk", clients, StringComparison.Ordinal);
        var db = admin.GetDatabase();
        var serializer = bulk.Get<CacheSerializer>();
        var viaBulk = await ReadEntryAsync(db, serializer, "bookstore:v1:books:4999");
        var viaMultiplexer = await ReadEntryAsync(db, serializer, "bookstore:v1:books:9000");
        Assert.Equal("Dune 4999", viaBulk.Value.Title);
        Assert.Equal(["book:4999"], viaBulk.Tags ?? []);
        Assert.Equal(viaMultiplexer.LogicalExpirationTimestamp - viaMultiplexer.Timestamp, viaBulk.LogicalExpirationTimestamp - viaBulk.Timestamp);
        Assert.Equal(
            (viaMultiplexer.Metadata!.Size, viaMultiplexer.Metadata.Priority, viaMultiplexer.Metadata.IsStale),
            (viaBulk.Metadata!.Size, viaBulk.Metadata.Priority, viaBulk.Metadata.IsStale));
        foreach (var key in new[] { "bookstore:v1:books:1", "bookstore:v1:books:2500", "bookstore:v1:books:5000", "bookstore:v1:books:9000" })
        {
            Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromHours(5.9), TimeSpan.FromHours(6));
        }

        // Every entry landed, whichever lane sent it, and another instance reads them as L2 hits.
        var cache = multiplexer.Get<ICacheService>();
        foreach (var book in books.Where(b => b.Id % 97 == 0))
        {
            var read = await cache.GetOrSetEntryAsync<Book>(CacheType.Books, Id(book), _ => throw new InvalidOperationException("must come from Redis"), cancellationToken: Ct);
            Assert.Equal((CacheSource.L2, book.Title), (read.Source, read.Value.Title));
        }
    }

    [Fact]
    public async Task AKeptBulkConnectionThatRedisClosedIsReplacedAndTheWriteStillLandsWhole()
    {
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server);
        await using var admin = await ConnectAdminAsync(server);
        var cache = host.Get<ICacheService>();
        Assert.Equal(10, await cache.SetManyAsync(CacheType.Books, [.. Enumerable.Range(1, 10).Select(i => Write(Dune with { Id = i }))], Ct));

        // What an idle timeout or a restarted proxy does to the connection kept between writes (the multiplexer's stay).
        var clients = ((string)(await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST"))!).Split('\n');
        var bulkIds = clients.Where(c => c.Contains(" name=Bookstore.Tests-bulk ", StringComparison.Ordinal)).Select(c => c.Split(' ')[0]["id=".Length..]).ToList();
        Assert.NotEmpty(bulkIds);
        foreach (var id in bulkIds)
        {
            Assert.Equal(1, (long)(await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "ID", id))!);
        }

        var books = Enumerable.Range(100, RedisBulkWriter.BatchSize * 3).Select(i => Dune with { Id = i, Title = $"Dune {i}" }).ToList();
        Assert.Equal(books.Count, await cache.SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct));
        var db = admin.GetDatabase();
        foreach (var book in books.Where(b => b.Id % 50 == 0))
        {
            Assert.True(await db.KeyExistsAsync($"bookstore:v1:books:{book.Id}"));
        }
    }

    [Fact]
    public async Task SetsRedisRefusesAreCountedAsNotWrittenAndTheConnectionStaysUsable()
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

        // The replies were read in step: the next write on the same connection lands whole.
        Assert.Equal(300, await cache.SetManyAsync(CacheType.Books, [.. Enumerable.Range(10, 300).Select(i => Write(Dune with { Id = i }))], Ct));
        Assert.True(await admin.GetDatabase().KeyExistsAsync("bookstore:v1:books:309"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BulkWritesPauseWhileRedisAnswersSlowlyAndStillLandWhole(bool bulkConnection)
    {
        await using var server = await RedisServer.StartAsync("--enable-debug-command", "yes");
        using var host = await CachingHost.StartWithCacheAsync(server, new KeyValuePair<string, string?>("Bookstore:Cache:BulkWriteConnection", bulkConnection ? "true" : "false"));
        await using var admin = await ConnectAdminAsync(server);
        var cache = host.Get<ICacheService>();
        var writer = host.Get<RedisBulkWriter>();
        Assert.Equal(1, await cache.SetManyAsync(CacheType.Books, [Write(Dune)], Ct));
        var pausesBefore = writer.Pauses;

        // Redis stops answering for a second just as the write starts: its first batches come back that late.
        var stall = admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "1");
        await Task.Delay(50, Ct);
        var books = Enumerable.Range(1, RedisBulkWriter.BatchSize * 12).Select(i => Dune with { Id = i }).ToList();
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

    [Fact]
    public async Task AnAclUserThatMayNotNameItsConnectionStillWritesOverTheBulkConnection()
    {
        await using var server = await RedisServer.StartAsync();
        await using var admin = await ConnectAdminAsync(server);
        var db = admin.GetDatabase();
        await db.ExecuteAsync("ACL", "SETUSER", "bulk-writer", "on", ">bulk-writer-password", "~bookstore:*", "&bookstore:*", "+@all", "-client|setname");
        using var host = await CachingHost.StartWithCacheAsync(
            server, new KeyValuePair<string, string?>("ConnectionStrings:cache", server.ConnectionStringAs("bulk-writer", "bulk-writer-password")));
        await db.ExecuteAsync("CONFIG", "RESETSTAT");

        var books = Enumerable.Range(1, 300).Select(i => Dune with { Id = i }).ToList();
        Assert.Equal(books.Count, await host.Get<ICacheService>().SetManyAsync(CacheType.Books, [.. books.Select(Write)], Ct));

        // The bulk connection sends SET … PX, one per book (the multiplexer would send SETEX): it was used, unnamed.
        // (Other commands of the host may run meanwhile: counts, not exact lines.)
        var stats = (string)(await db.ExecuteAsync("INFO", "commandstats"))!;
        var lines = string.Join(" | ", stats.Split("\r\n").Where(l => l.StartsWith("cmdstat_set", StringComparison.Ordinal)));
        Assert.True(Calls(stats, "set") >= 300 && Calls(stats, "setex") < 300, $"The books did not go over the bulk connection: {lines}");
    }

    private static long Calls(string commandStats, string command)
    {
        var match = System.Text.RegularExpressions.Regex.Match(commandStats, $"^cmdstat_{command}:calls=(\\d+),", System.Text.RegularExpressions.RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static Task<ConnectionMultiplexer> ConnectAdminAsync(RedisServer server) =>
        ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");

    private static CacheWrite<Book> Write(Book book) => new(Id(book), book, [CacheTags.Book(book.Id)]);

    private static string Id(Book book) => book.Id.ToString(CultureInfo.InvariantCulture);

    private static async Task<FusionCacheDistributedEntry<Book>> ReadEntryAsync(IDatabase db, CacheSerializer serializer, string key)
    {
        byte[]? payload = await db.StringGetAsync(key);
        Assert.NotNull(payload);
        Assert.Equal(DecodeStatus.Ok, serializer.TryDeserialize<FusionCacheDistributedEntry<Book>>(payload, out var entry));
        return entry!;
    }
}
