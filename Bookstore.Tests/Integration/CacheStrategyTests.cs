using System.Globalization;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

/// <summary>Each strategy's behaviour on a real redis-server: what expires, what is evicted, what survives.</summary>
[Trait("Category", "Integration")]
public sealed class CacheStrategyTests
{
    private static readonly string Filler = new('x', 2048);

    [Fact]
    public async Task TtlEntriesExpireOnTime()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartWithCacheAsync(server, KeyValuePair.Create<string, string?>("Bookstore:Cache:Policies:Cart:Duration", "00:00:01"));
        var cache = host.Get<ICacheService>();
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();

        await cache.SetAsync(CacheType.Cart, "cart-of-9", "9", cancellationToken: ct);

        var ttl = await db.KeyTimeToLiveAsync("bookstore:v1:cart:9");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.True(await LinuxProcesses.WaitUntilAsync(async () => !await db.KeyExistsAsync("bookstore:v1:cart:9"), TimeSpan.FromSeconds(5), ct));
        Assert.False((await cache.GetAsync<string>(CacheType.Cart, "9", ct)).Found);
    }

    [Fact(Timeout = 120_000)]
    public async Task PersistentEntriesHaveNoTtlAndSurviveAKillAndRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
        using (var host = await CachingHost.StartWithCacheAsync(server))
        {
            var cache = host.Get<ICacheService>();
            await cache.SetAsync(CacheType.Reference, new[] { "eng", "fre", "spa" }, "languages", cancellationToken: ct);
            var db = host.Get<IConnectionMultiplexer>().GetDatabase();
            Assert.Null(await db.KeyTimeToLiveAsync("bookstore:v1:reference:languages"));
            Assert.True(await db.KeyExistsAsync("bookstore:v1:reference:languages"));
        }

        await server.KillAsync();
        await server.StartAgainAsync();

        using var restarted = await CachingHost.StartWithCacheAsync(server);
        var read = await restarted.Get<ICacheService>().GetAsync<string[]>(CacheType.Reference, "languages", ct);
        Assert.True(read.Found);
        Assert.Equal(["eng", "fre", "spa"], read.Value!);
    }

    [Fact(Timeout = 180_000)]
    public async Task UnderMemoryPressureLruKeepsRecentlyUsedKeysAndNeverEvictsPersistentOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync(
            "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru", "--maxmemory-samples", "10");
        using var host = await CachingHost.StartWithCacheAsync(server);
        var redis = host.Get<IRedisService>();
        var cache = host.Get<ICacheService>();

        for (var i = 0; i < 100; i++)
        {
            await cache.SetAsync(CacheType.Reference, Filler, $"ref-{i}", cancellationToken: ct);
        }

        var hot = Enumerable.Range(0, 100).Select(i => $"v1:books:hot-{i}").ToList();
        foreach (var key in hot)
        {
            await redis.SetAsync(key, Filler, TimeSpan.FromHours(1), ct);
        }

        // Write far more than maxmemory holds, reading the hot keys between batches so they stay recently used.
        // Redis's LRU clock ticks once a second, so the batches are spread over a few seconds: older cold keys
        // then really are less recently used than the hot ones.
        for (var batch = 0; batch < 40; batch++)
        {
            await Task.Delay(100, ct);
            for (var i = 0; i < 50; i++)
            {
                await redis.SetAsync($"v1:books:cold-{batch}-{i}", Filler, TimeSpan.FromHours(1), ct);
            }

            await redis.GetManyAsync<string>(hot, ct);
        }

        var (hotSurvival, coldSurvival, evicted) = await SurvivalAsync(host, hot, ColdKeys(40, 50), ct);
        TestContext.Current.SendDiagnosticMessage($"LRU: hot survival {hotSurvival:P0}, cold survival {coldSurvival:P0}, evicted {evicted}");

        Assert.True(evicted > 0, "The server never reached maxmemory; the test proved nothing.");
        await AssertPersistentKeysSurvived(host, ct);
        Assert.True(hotSurvival >= 0.9, $"Only {hotSurvival:P0} of the recently used keys survived.");
        Assert.True(coldSurvival < hotSurvival - 0.3, $"Cold keys survived as well as hot ones ({coldSurvival:P0} vs {hotSurvival:P0}).");
    }

    [Fact(Timeout = 180_000)]
    public async Task UnderMemoryPressureLfuKeepsFrequentlyUsedKeysThroughAScanOfOneOffKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync(
            "--maxmemory", "4mb", "--maxmemory-policy", "volatile-lfu", "--maxmemory-samples", "10", "--lfu-log-factor", "0");
        using var host = await CachingHost.StartWithCacheAsync(server);
        var redis = host.Get<IRedisService>();
        var cache = host.Get<ICacheService>();

        for (var i = 0; i < 100; i++)
        {
            await cache.SetAsync(CacheType.Reference, Filler, $"ref-{i}", cancellationToken: ct);
        }

        var hot = Enumerable.Range(0, 100).Select(i => $"v1:analytics:hot-{i}").ToList();
        foreach (var key in hot)
        {
            await redis.SetAsync(key, Filler, TimeSpan.FromHours(1), ct);
        }

        for (var round = 0; round < 20; round++)
        {
            await redis.GetManyAsync<string>(hot, ct);
        }

        // A scan: many one-off keys, each written and read once, none of the hot keys touched any more.
        for (var batch = 0; batch < 40; batch++)
        {
            var scan = Enumerable.Range(0, 50).Select(i => $"v1:books:cold-{batch}-{i}").ToList();
            foreach (var key in scan)
            {
                await redis.SetAsync(key, Filler, TimeSpan.FromHours(1), ct);
            }

            await redis.GetManyAsync<string>(scan, ct);
        }

        var (hotSurvival, coldSurvival, evicted) = await SurvivalAsync(host, hot, ColdKeys(40, 50), ct);
        TestContext.Current.SendDiagnosticMessage($"LFU: hot survival {hotSurvival:P0}, cold survival {coldSurvival:P0}, evicted {evicted}");

        Assert.True(evicted > 0, "The server never reached maxmemory; the test proved nothing.");
        await AssertPersistentKeysSurvived(host, ct);
        Assert.True(hotSurvival >= 0.9, $"Only {hotSurvival:P0} of the frequently used keys survived the scan.");
        Assert.True(coldSurvival < hotSurvival - 0.3, $"One-off keys survived as well as frequent ones ({coldSurvival:P0} vs {hotSurvival:P0}).");
    }

    private static List<string> ColdKeys(int batches, int perBatch) =>
        [.. Enumerable.Range(0, batches).SelectMany(b => Enumerable.Range(0, perBatch).Select(i => $"v1:books:cold-{b}-{i}"))];

    private static async Task<(double Hot, double Cold, long Evicted)> SurvivalAsync(
        Microsoft.Extensions.Hosting.IHost host, IReadOnlyList<string> hot, IReadOnlyList<string> cold, CancellationToken ct)
    {
        var connection = host.Get<IConnectionMultiplexer>();
        var db = connection.GetDatabase();
        var hotAlive = await db.KeyExistsAsync([.. hot.Select(k => (RedisKey)("bookstore:" + k))]);
        var coldAlive = await db.KeyExistsAsync([.. cold.Select(k => (RedisKey)("bookstore:" + k))]);
        // INFO is an admin command: the test reads it on a connection of its own, as an operator would.
        var configuration = ConfigurationOptions.Parse(connection.Configuration);
        configuration.AllowAdmin = true;
        configuration.CommandMap = CommandMap.Default; // the service's own map leaves INFO out (least-privilege handshake)
        await using var admin = await ConnectionMultiplexer.ConnectAsync(configuration);
        var info = await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("stats");
        var evicted = long.Parse(info.SelectMany(g => g).First(p => p.Key == "evicted_keys").Value, CultureInfo.InvariantCulture);
        ct.ThrowIfCancellationRequested();
        return ((double)hotAlive / hot.Count, (double)coldAlive / cold.Count, evicted);
    }

    private static async Task AssertPersistentKeysSurvived(Microsoft.Extensions.Hosting.IHost host, CancellationToken ct)
    {
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        var alive = await db.KeyExistsAsync([.. Enumerable.Range(0, 100).Select(i => (RedisKey)$"bookstore:v1:reference:ref-{i}")]);
        ct.ThrowIfCancellationRequested();
        Assert.Equal(100, alive);
    }
}
