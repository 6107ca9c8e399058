extern alias worker;

using System.Net.Http.Json;
using Bookstore.Catalog.Contracts;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>The worker's warmer against the real API (in-process) and a real Redis: one redis-server, or a Redis Cluster.</summary>
[Trait("Category", "Integration")]
public abstract class CacheWarmerTestsBase<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IRedisFixture
{
    [Fact(Timeout = 180_000)]
    public async Task WarmedBooksAreTheirFirstReadsHitAndDecodeToTheStoresBooks()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = await fixture.FlushedAsync();
        using var data = new TemporaryDirectory("bookstore-warmer-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var host = await CachingHost.StartWithCacheAsync(redis);
        var state = new WarmerState();
        using var warmer = TestWarmer.Create(api, host, state, new WarmingOptions { TopBooks = 40, ListPages = 0, IntervalMinutes = 60 });

        Assert.True(await warmer.RunOnceAsync(ct), $"The warming run did not complete: {state.Current}");

        // The warmer wrote each book as the API's JSON for it (no decode and re-encode): the API's reads must find
        // an entry that decodes to the same book, with nothing to fetch from the store.
        Assert.Equal(40, state.Current.LastWarmed);
        using var http = api.CreateClient();
        foreach (var id in state.Current.LastBookIds)
        {
            using var response = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(response.Headers.GetValues("X-Cache").Single(), new[] { "hit-l1", "hit-l2" });
            var read = await response.Content.ReadFromJsonAsync<Book>(ct);
            var stored = await api.Store.GetBookAsync(id, ct);
            Assert.NotNull(read);
            Assert.NotNull(stored);
            Assert.Equal(stored with { Authors = [] }, read with { Authors = [] });
            Assert.Equal(stored.Authors, read.Authors);
        }
    }

}

/// <summary>The warmer on one redis-server, and on one that goes away.</summary>
public sealed class CacheWarmerTests(RedisFixture fixture) : CacheWarmerTestsBase<RedisFixture>(fixture)
{
    [Fact(Timeout = 180_000)]
    public async Task WarmerSurvivesRedisBeingDownAndFinishesAfterItReturns()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-warmer-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var host = await CachingHost.StartWithCacheAsync(redis);
        var state = new WarmerState();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var warmer = TestWarmer.Create(api, host, state, new WarmingOptions { TopBooks = 30, ListPages = 1, IntervalMinutes = 60 }, clock);

        await redis.KillAsync();
        await warmer.StartAsync(ct);

        // Redis is down: the run ends degraded, the warmer keeps running and backs off (on the fake clock: it only
        // retries when the test moves the clock past the backoff).
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => state.Current.Phase == WarmingPhase.Degraded, TimeSpan.FromSeconds(30), ct));
        Assert.NotNull(warmer.ExecuteTask);
        Assert.False(warmer.ExecuteTask!.IsCompleted);

        await redis.StartAgainAsync();

        // Each degraded run is retried once the clock has passed its backoff (at most a minute); a retry made before the
        // connection is restored ends degraded and backs off again.
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(
                () =>
                {
                    if (state.Current.Phase == WarmingPhase.Degraded)
                    {
                        clock.Advance(TimeSpan.FromMinutes(1));
                    }

                    return state.Current.Phase == WarmingPhase.Ready;
                },
                TimeSpan.FromSeconds(30),
                ct),
            $"The warmer did not finish after Redis returned: {state.Current}");
        Assert.Equal(30, state.Current.LastWarmed);
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        foreach (var id in state.Current.LastBookIds)
        {
            Assert.True(await db.KeyExistsAsync($"bookstore:v1:books:{id}"), $"Book {id} was not warmed.");
        }

        await warmer.StopAsync(ct);
    }
}

/// <summary>The warmer's bulk writes on a Redis Cluster: batches whose keys are spread over every shard.</summary>
public sealed class CacheWarmerClusterTests(RedisClusterFixture cluster) : CacheWarmerTestsBase<RedisClusterFixture>(cluster);
