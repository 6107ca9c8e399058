using System.Diagnostics;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>
/// The replicated topology (a primary, a replica and three Sentinels, real processes) with replica reads on: where the
/// cache's reads and writes go, and why the read that follows a change never keeps the old value.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReplicaReadTests : IClassFixture<ReplicaReadTests.Topology>
{
    private readonly Topology _topology;

    public ReplicaReadTests(Topology topology) => _topology = topology;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task StaleTolerantTypesAreReadFromTheReplicaWhileWritesCartAndSessionsGoToThePrimary()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = _topology.Redis;
        var primary = await redis.PrimaryAsync();
        var replica = redis.Nodes.Single(n => n != primary);
        using var writer = await StartAsync();
        var cache = writer.Get<ICacheService>();
        var run = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 40; i++)
        {
            await cache.SetAsync(CacheType.Books, $"book {i}", $"{run}-{i}", cancellationToken: ct);
            await cache.SetAsync(CacheType.Sessions, $"session {i}", $"{run}-{i}", cancellationToken: ct);
        }

        // Another process, with an empty L1, once the replica has the entries and they are older than the lag allowance.
        await WaitUntilReplicatedAsync(redis, replica, $"{run}-39");
        using var reader = await StartAsync();
        var readerCache = reader.Get<ICacheService>();
        var (primaryGets, replicaGets) = (await redis.CallsAsync(primary, "get"), await redis.CallsAsync(replica, "get"));

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal($"book {i}", (await readerCache.GetAsync<string>(CacheType.Books, $"{run}-{i}", Ct)).Value);
        }

        var booksOnReplica = await redis.CallsAsync(replica, "get") - replicaGets;
        var booksOnPrimary = await redis.CallsAsync(primary, "get") - primaryGets;
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal($"session {i}", (await readerCache.GetAsync<string>(CacheType.Sessions, $"{run}-{i}", Ct)).Value);
        }

        var sessionsOnReplica = await redis.CallsAsync(replica, "get") - replicaGets - booksOnReplica;
        var sessionsOnPrimary = await redis.CallsAsync(primary, "get") - primaryGets - booksOnPrimary;
        var report = $"Books: {booksOnReplica} GETs on the replica, {booksOnPrimary} on the primary; Sessions: {sessionsOnReplica} on the replica, {sessionsOnPrimary} on the primary";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        // Each of the 40 reads is one GET; the hosts' own background GETs (the server monitor's snapshot) add a few.
        Assert.True(booksOnReplica >= 40 && booksOnPrimary < 10, report);
        Assert.True(sessionsOnPrimary >= 40 && sessionsOnReplica < 10, report);

        // No write was sent to the replica (it would have refused it with READONLY).
        Assert.Equal(0, await ClientWritesOnAsync(replica));
    }

    [Fact(Timeout = 90_000)]
    public async Task AfterAChangeElsewhereTheOldValueIsNotKeptFromALaggingReplica()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = _topology.Redis;
        var primary = await redis.PrimaryAsync();
        var replica = redis.Nodes.Single(n => n != primary);
        using var writerHost = await StartAsync();
        using var readerHost = await StartAsync();
        var writer = writerHost.Get<ICacheService>();
        var reader = readerHost.Get<ICacheService>();
        const int Changes = 40;
        var ids = Enumerable.Range(0, Changes).Select(i => $"{Guid.NewGuid():N}"[..12]).ToArray();
        foreach (var id in ids)
        {
            await writer.SetAsync(CacheType.Books, "old", id, cancellationToken: Ct);
        }

        // The reader holds each old value in L1, read from the replica once the changes were older than the allowance.
        await WaitUntilReplicatedAsync(redis, replica, ids[^1]);
        foreach (var id in ids)
        {
            Assert.Equal("old", (await reader.GetAsync<string>(CacheType.Books, id, Ct)).Value);
        }

        // The replica stops applying the primary's writes (it still answers reads): from now on it lags.
        await using var replicaAdmin = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionStringTo(replica));
        await replicaAdmin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "20000", "WRITE");
        try
        {
            var took = new List<double>();
            foreach (var id in ids)
            {
                await writer.SetAsync(CacheType.Books, "new", id, cancellationToken: ct);
                var clock = Stopwatch.StartNew();
                string? seen;
                do
                {
                    seen = (await reader.GetAsync<string>(CacheType.Books, id, Ct)).Value;
                }
                while (seen != "new" && clock.Elapsed < TimeSpan.FromSeconds(3) && await Delay());

                // The replica still has the old value: only the primary could have given the new one.
                var onReplica = await replicaAdmin.GetDatabase().StringGetAsync(CacheKeyOf(id));
                Assert.True(seen == "new", $"Book {id}: the reader still holds '{seen}' 3 s after the change (the replica lags)");
                Assert.False(onReplica.IsNull);
                took.Add(clock.Elapsed.TotalMilliseconds);
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{Changes} changes with the replica paused: the reader had the new value after at most {took.Max():F0} ms (median {took.Order().ElementAt(took.Count / 2):F0} ms)");
        }
        finally
        {
            await replicaAdmin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        }

        static async Task<bool> Delay()
        {
            await Task.Delay(20, Ct);
            return true;
        }
    }

    private static string CacheKeyOf(string id) => Bookstore.Caching.Keys.CacheKeyBuilder.ForId("books", id);

    /// <summary>Waits until the replica has the Books entry <paramref name="id"/>, then past the hosts' 1 s lag allowance.</summary>
    private static async Task WaitUntilReplicatedAsync(ReplicatedRedis redis, RedisServer replica, string id)
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionStringTo(replica));
        var clock = Stopwatch.StartNew();
        while (!await admin.GetDatabase().KeyExistsAsync(CacheKeyOf(id)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the replica applied the writes");
            await Task.Delay(20, Ct);
        }

        // Older than the reader's lag allowance (1 s in these hosts' settings).
        await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
    }

    /// <summary>Write commands clients sent to the replica (a replica refuses them; replication's own are not counted here).</summary>
    private async Task<long> ClientWritesOnAsync(RedisServer replica)
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_topology.Redis.AdminConnectionStringTo(replica));
        var info = await admin.GetServer("127.0.0.1", replica.Port).InfoRawAsync("errorstats") ?? string.Empty;
        return info.Split('\n').Where(l => l.StartsWith("errorstat_READONLY", StringComparison.Ordinal)).Sum(l => long.Parse(l.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private Task<IHost> StartAsync(params (string Key, string Value)[] settings) =>
        CachingHost.StartWithCacheAsync(
            _topology.Redis.Nodes[0],
            [
                new("ConnectionStrings:cache", _topology.Redis.ConnectionString),
                new("Bookstore:Redis:Topology", "Replicated"),
                new("Bookstore:Redis:PreferReplica", "true"),
                new("Bookstore:Redis:ReplicaLagAllowanceSeconds", "1"),

                // What these tests count is where reads go. A GET slower than the default 500 ms cache timeout (the 2
                // cores busy with other tests) would be a miss, and the process would then fail calls at once until
                // Redis answers a PING: a routing test would fail on the machine's load.
                new("Bookstore:Redis:CacheTimeoutMs", "5000"),
                new("Bookstore:Redis:OperationTimeoutMs", "5000"),
                .. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
            ]);

    /// <summary>One replicated topology for the class.</summary>
    public sealed class Topology : IAsyncLifetime
    {
        public ReplicatedRedis Redis { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Redis = await ReplicatedRedis.StartAsync();

        public async ValueTask DisposeAsync() => await Redis.DisposeAsync();
    }
}
