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
