using Bookstore.Caching.Connection;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Reliability;

[Trait("Category", "Reliability")]
public sealed class RedisConnectionHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthIsHealthyAgainAsSoonAsRedisIsBackNotAtTheNextScheduledCheck()
    {
        await using var server = await RedisServer.StartAsync();

        // The next scheduled PING is an hour away: only the restoration itself can clear the failure on record.
        using var host = await CachingHost.StartAsync(server, new KeyValuePair<string, string?>("Bookstore:Redis:HealthCheckIntervalSeconds", "3600"));
        var connection = host.Get<RedisConnectionManager>();
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => connection.Health.IsConnected, TimeSpan.FromSeconds(20), Ct));

        await server.KillAsync();
        var during = await connection.CheckAsync(Ct);
        Assert.False(during.IsConnected);
        Assert.True(during.ConsecutiveFailures > 0);

        await server.StartAgainAsync();

        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => connection.Health.IsConnected, TimeSpan.FromSeconds(30), Ct),
            $"still not healthy after Redis came back: {connection.Health}");
        Assert.Equal(0, connection.Health.ConsecutiveFailures);
        Assert.NotNull(connection.Health.LastRoundTrip);
    }
}
