using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// No replica serves a book older than its last acknowledged update: not when a read loaded the old book just before
/// the update and writes it to the cache after the update's invalidation, and not when the update was made while Redis
/// was down (docs/operations.md, "No stale book after a write").
/// </summary>
[Trait("Category", "Reliability")]
public abstract class StaleAfterWriteTestsBase<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    protected const int BookId = 3;

    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task AReadThatLoadedTheOldBookBeforeAnUpdateDoesNotCacheItAfterTheUpdatesInvalidation()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = await fixture.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-stale-race-");
        var sqlite = Path.Combine(data.Path, "catalog.db");
        var parked = new ParkedRead(BookId);
        await using var a = new CatalogApiFactory(redis, sqlite, builder => builder.ConfigureTestServices(services =>
        {
            var registered = services.Single(d => d.ServiceType == typeof(ICatalogStore));
            services.Replace(ServiceDescriptor.Singleton(sp => InterceptedCatalogStore.Wrap(
                (ICatalogStore)ActivatorUtilities.GetServiceOrCreateInstance(sp, registered.ImplementationType!), after: parked.AfterCall)));
        }));
        await using var b = new CatalogApiFactory(redis, sqlite);
        using var readerA = a.CreateClient();
        using var readerB = b.CreateClient();
        using var adminB = b.CreateAdminClient();
        var before = (await readerB.GetFromJsonAsync<JsonElement>(new Uri($"/books/{BookId}", UriKind.Relative), ct)).GetProperty("title").GetString();
        await b.Services.GetRequiredService<CacheService>().InvalidateBookAsync(BookId, ct);

        // A's read misses everywhere and loads the book from the store; the load is held once it has the old book.
        parked.Arm();
        var slowRead = readerA.GetFromJsonAsync<JsonElement>(new Uri($"/books/{BookId}", UriKind.Relative), ct);
        await parked.Loaded.WaitAsync(TimeSpan.FromSeconds(30), ct);

        // The update, on the other replica, returns once its invalidation is done; then A's read goes on and caches.
        using (var update = await adminB.PutAsJsonAsync(new Uri($"/books/{BookId}", UriKind.Relative), new { title = "After the update", authors = new[] { "Someone" }, price = 12.5m }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }

        parked.Release();
        Assert.Equal(before, (await slowRead).GetProperty("title").GetString());

        await AssertNeverOldAsync([readerA, readerB], redis, ct);
    }

    /// <summary>For a few seconds, every replica and a fresh process reading Redis see the updated book, never the old one.</summary>
    protected static async Task AssertNeverOldAsync(HttpClient[] replicas, ITestRedis redis, CancellationToken ct)
    {
        var until = DateTime.UtcNow + Watch;
        var reads = 0;
        using var fresh = await CachingHost.StartWithCacheAsync(redis);
        do
        {
            foreach (var replica in replicas)
            {
                var title = (await replica.GetFromJsonAsync<JsonElement>(new Uri($"/books/{BookId}", UriKind.Relative), ct)).GetProperty("title").GetString();
                Assert.True(title == "After the update", $"Read {reads}: a replica served '{title}' after the update.");
                reads++;
            }

            var stored = await fresh.Get<ICacheService>().GetAsync<Book>(CacheType.Books, BookId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
            Assert.True(!stored.Found || stored.Value!.Title == "After the update", $"Redis holds '{stored.Value?.Title}' after the update.");
            await Task.Delay(100, ct);
        }
        while (DateTime.UtcNow < until);
    }
}

public sealed class StaleAfterWriteTests(RedisFixture fixture) : StaleAfterWriteTestsBase<RedisFixture>(fixture)
{
    [Fact(Timeout = 120_000)]
    public async Task ABookUpdatedWhileRedisWasDownIsNeverServedOldOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;

        // Redis keeps its data across the kill (AOF, fsync always): the old book is in it when it comes back.
        await using var redis = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        using var data = new TemporaryDirectory("bookstore-stale-outage-");
        var sqlite = Path.Combine(data.Path, "catalog.db");
        await using var replicas = await TwoReplicas.StartAsync(redis, sqlite, ct);
        var (readerA, readerB, adminA) = (replicas.ReaderA, replicas.ReaderB, replicas.AdminA);

        await redis.KillAsync();
        await UpdateAsync(adminA, ct);

        await redis.StartAgainAsync();
        foreach (var reader in new[] { readerA, readerB })
        {
            Assert.True(await LinuxProcesses.WaitUntilAsync(
                async () => (await reader.GetStringAsync(new Uri("/health", UriKind.Relative), ct)) == "Healthy", TimeSpan.FromSeconds(15), ct),
                "The replica did not turn Healthy after Redis came back.");
        }

        await AssertNeverOldAsync([readerA, readerB], redis, ct);
    }

    /// <summary>
    /// A failover can discard writes the old primary acknowledged (replication is asynchronous; an old primary that wakes
    /// from a stall takes writes until it is demoted). Here Redis is put back as it was before an update, as such a
    /// failover would leave it: the update's invalidation, acknowledged, is gone and Redis holds the old book again. The
    /// connections then drop and come back, as after a failover; each replica sends its recent invalidations again.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task AnAcknowledgedInvalidationThatRedisLostIsSentAgainWhenTheConnectionIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-stale-lost-");
        var sqlite = Path.Combine(data.Path, "catalog.db");
        await using var replicas = await TwoReplicas.StartAsync(redis, sqlite, ct);
        var (a, b, readerA, readerB, adminA) = (replicas.A, replicas.B, replicas.ReaderA, replicas.ReaderB, replicas.AdminA);

        // Every key as it is before the update.
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var db = admin.GetDatabase();
        var before = new Dictionary<string, byte[]>();
        await foreach (var key in server.KeysAsync(pattern: "*"))
        {
            if (await db.KeyDumpAsync(key) is { } dump)
            {
                before[key.ToString()] = dump;
            }
        }

        await UpdateAsync(adminA, ct);

        // Redis back as it was: what the update wrote is gone, what it removed is there again (the old book included).
        await foreach (var key in server.KeysAsync(pattern: "*"))
        {
            if (!before.ContainsKey(key.ToString()))
            {
                await db.KeyDeleteAsync(key);
            }
        }

        foreach (var (key, dump) in before)
        {
            await db.ExecuteAsync("RESTORE", key, 0, dump, "REPLACE");
        }

        var stored = await db.KeyExistsAsync(Bookstore.Caching.Keys.CacheKeyBuilder.ForId("books", BookId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // The connections drop and come back, as after a failover; each replica is Healthy again once its restoration
        // work is done (the health stays Degraded until then).
        var managers = new[] { a, b }.Select(f => f.Services.GetRequiredService<Bookstore.Caching.Connection.RedisConnectionManager>()).ToArray();
        var restoredBefore = managers.Select(m => m.Health.ConnectionRestorations).ToArray();
        await db.ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        await db.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        for (var i = 0; i < managers.Length; i++)
        {
            var (manager, restored, reader) = (managers[i], restoredBefore[i], new[] { readerA, readerB }[i]);
            Assert.True(await LinuxProcesses.WaitUntilAsync(
                async () => manager.Health.ConnectionRestorations > restored && (await reader.GetStringAsync(new Uri("/health", UriKind.Relative), ct)) == "Healthy",
                TimeSpan.FromSeconds(15),
                ct),
                $"Replica {i}: its connection did not come back, or it did not turn Healthy after ({manager.Health}, restorations before: {restored}).");
        }

        Assert.True(stored, "the old book was in Redis again before the connections dropped");
        await AssertNeverOldAsync([readerA, readerB], redis, ct);
    }

    private static async Task UpdateAsync(HttpClient admin, CancellationToken ct)
    {
        using var update = await admin.PutAsJsonAsync(new Uri($"/books/{BookId}", UriKind.Relative), new { title = "After the update", authors = new[] { "Someone" }, price = 12.5m }, ct);
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
    }

    /// <summary>Two API replicas on one Redis and one store, each with the book read twice (in its L1 and in Redis).</summary>
    private sealed class TwoReplicas : IAsyncDisposable
    {
        private TwoReplicas(CatalogApiFactory a, CatalogApiFactory b)
        {
            (A, B) = (a, b);
            (ReaderA, ReaderB, AdminA) = (a.CreateClient(), b.CreateClient(), a.CreateAdminClient());
        }

        public CatalogApiFactory A { get; }

        public CatalogApiFactory B { get; }

        public HttpClient ReaderA { get; }

        public HttpClient ReaderB { get; }

        public HttpClient AdminA { get; }

        public static async Task<TwoReplicas> StartAsync(RedisServer redis, string sqlite, CancellationToken ct)
        {
            var replicas = new TwoReplicas(new CatalogApiFactory(redis, sqlite), new CatalogApiFactory(redis, sqlite));
            foreach (var reader in new[] { replicas.ReaderA, replicas.ReaderB, replicas.ReaderA, replicas.ReaderB })
            {
                (await reader.GetAsync(new Uri($"/books/{BookId}", UriKind.Relative), ct)).Dispose();
            }

            return replicas;
        }

        public async ValueTask DisposeAsync()
        {
            ReaderA.Dispose();
            ReaderB.Dispose();
            AdminA.Dispose();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}

/// <summary>The same on a Redis Cluster: the fenced write's script runs over the entry and its stamp, both in one hash slot.</summary>
public sealed class StaleAfterWriteClusterTests(RedisClusterFixture cluster) : StaleAfterWriteTestsBase<RedisClusterFixture>(cluster);

/// <summary>Holds one read of the book after it was loaded, until released.</summary>
internal sealed class ParkedRead(int bookId)
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;

    public Task Loaded => _loaded.Task;

    public void Arm() => Volatile.Write(ref _armed, 1);

    public void Release() => _release.TrySetResult();

    /// <summary>The store's <see cref="ICatalogStore.GetBookAsync"/> passed through <see cref="AfterLoadAsync"/>; every other call as it is.</summary>
    public object? AfterCall(MethodInfo method, object?[] args, object? result) =>
        method.Name == nameof(ICatalogStore.GetBookAsync) ? AfterLoadAsync((int)args[0]!, (Task<Book?>)result!) : result;

    public async Task<Book?> AfterLoadAsync(int id, Task<Book?> load)
    {
        var book = await load;
        if (id == bookId && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _loaded.TrySetResult();
            await _release.Task;
        }

        return book;
    }
}
