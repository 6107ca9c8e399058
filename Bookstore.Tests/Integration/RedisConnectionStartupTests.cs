using Bookstore.Caching.Connection;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;

namespace Bookstore.Tests.Integration;

/// <summary>How <see cref="RedisConnectionManager"/> tells a first connect from a restoration, and waits for the first.</summary>
[Trait("Category", "Integration")]
public sealed class RedisConnectionStartupTests
{
    [Fact(Timeout = 120_000)]
    public async Task FirstConnectIsNoRestorationButAReconnectAfterAnOutageIs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();

        // The typed cache: its backplane opens the subscription connection too, whose first connect raised the event.
        using var host = await CachingHost.StartWithCacheAsync(server);
        var connection = host.Get<RedisConnectionManager>();
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Connection.GetSubscriber().IsConnected() && connection.Health.IsConnected, TimeSpan.FromSeconds(20), ct));
        await host.Get<Bookstore.Caching.Typed.ICacheService>().SetAsync(Bookstore.Caching.Typed.CacheType.Books, "Dune", "1", cancellationToken: ct);
        Assert.Equal(0, connection.Health.ConnectionRestorations);
        Assert.Equal(0, connection.Health.ConnectionFailures);

        await server.KillAsync();
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.ConnectionFailures >= 1, TimeSpan.FromSeconds(20), ct));
        await server.StartAgainAsync();
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.ConnectionRestorations >= 1, TimeSpan.FromSeconds(30), ct));
        Assert.True(connection.Health.ConnectionRestorations <= connection.Health.ConnectionFailures, $"More restorations than failures: {connection.Health}");
    }

    /// <summary>
    /// The restoration's work (L1 dropped, invalidations sent again) must be done before the health says Healthy: in
    /// between, a read could load from Redis an entry a failover brought back. CI once saw a replica Healthy, and serving
    /// the old book, while its resend still ran.
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task TheHealthStaysDegradedUntilTheRestorationWorkIsDone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartAsync(server);
        var connection = host.Get<RedisConnectionManager>();
        var working = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnRestored(async _ =>
        {
            working.TrySetResult();
            return await release.Task;
        });
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.IsConnected, TimeSpan.FromSeconds(20), ct));
        var restored = connection.Health.ConnectionRestorations;

        await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true"))
        {
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal");
        }

        await working.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        for (var i = 0; i < 10; i++)
        {
            Assert.False(connection.Health.IsConnected, $"Healthy while the restoration work runs ({connection.Health})");
            await Task.Delay(100, ct);
        }

        release.TrySetResult(true);
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.IsConnected, TimeSpan.FromSeconds(20), ct), $"not Healthy once the work was done ({connection.Health})");
        Assert.True(connection.Health.ConnectionRestorations > restored);
    }

    [Fact(Timeout = 120_000)]
    public async Task WhenConnectedAsyncWaitsUntilTheMultiplexerIsConnected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await CachingHost.StartAsync(server, new KeyValuePair<string, string?>("Bookstore:Redis:ConnectTimeoutMs", "60000"));
        var connection = host.Get<RedisConnectionManager>();
        Assert.Same(connection.Connection, await connection.WhenConnectedAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct));

        // Not connected (as before the first connect of a process that starts with Redis): the call waits.
        await server.KillAsync();
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => !connection.Connection.IsConnected, TimeSpan.FromSeconds(20), ct));
        var waiting = connection.WhenConnectedAsync(ct);
        await Task.Delay(500, ct);
        Assert.False(waiting.IsCompleted, "WhenConnectedAsync returned while Redis was not running.");

        await server.StartAgainAsync();
        var multiplexer = await waiting.WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(multiplexer.IsConnected);
        Assert.True(multiplexer.GetSubscriber().IsConnected(), "WhenConnectedAsync returned before the subscription connection was up.");

        // What the backplane does next: a SUBSCRIBE right after the wait succeeds.
        await multiplexer.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal("bookstore:test"), (_, _) => { });
    }
}
