extern alias worker;

using Bookstore.Tests.Support;
using StackExchange.Redis;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>The worker's warmer against the real API (in-process) and a real redis-server that goes away.</summary>
[Trait("Category", "Reliability")]
public sealed class CacheWarmerTests
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
        using var warmer = TestWarmer.Create(api, host, state, new WarmingOptions { TopBooks = 30, ListPages = 1, IntervalMinutes = 60 });

        await redis.KillAsync();
        await warmer.StartAsync(ct);

        // Redis is down: the run ends degraded, the warmer keeps running and backs off.
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => state.Current.Phase == WarmingPhase.Degraded, TimeSpan.FromSeconds(30), ct));
        Assert.NotNull(warmer.ExecuteTask);
        Assert.False(warmer.ExecuteTask!.IsCompleted);

        await redis.StartAgainAsync();

        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => state.Current.Phase == WarmingPhase.Ready, TimeSpan.FromSeconds(90), ct),
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
