using System.Globalization;
using Bookstore.Caching.Monitoring;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Integration;

[Trait("Category", "Integration")]
public sealed class RedisServerMonitorTests
{
    [Fact(Timeout = 120_000)]
    public async Task OneServicePollsAndItsFiguresMatchInfoReadDirectly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lfu");
        using var first = await CachingHost.StartAsync(server);
        using var second = await CachingHost.StartAsync(server);
        var monitors = new[] { first.Get<RedisServerMonitor>(), second.Get<RedisServerMonitor>() };

        Assert.True(await LinuxProcesses.WaitUntilAsync(() => monitors.Any(m => m.Latest is not null), TimeSpan.FromSeconds(10), ct));
        await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
        Assert.Single(monitors, m => m.IsPoller);

        var poller = monitors.Single(m => m.IsPoller);
        var other = monitors.Single(m => !m.IsPoller);
        Assert.Null(other.Latest);
        var serializer = first.Get<Bookstore.Caching.Serialization.CacheSerializer>();
        var bytes = serializer.Serialize(poller.Latest!);
        Assert.Equal(Bookstore.Caching.Serialization.DecodeStatus.Ok, serializer.TryDeserialize<RedisServerSnapshot>(bytes, out _));
        Assert.NotNull(await other.ReadSharedSnapshotAsync(ct));

        var snapshot = await poller.PollAsync(ct);
        var configuration = ConfigurationOptions.Parse(server.ConnectionString);
        configuration.AllowAdmin = true;
        await using var admin = await ConnectionMultiplexer.ConnectAsync(configuration);
        var info = (await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync()).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal(64L * 1024 * 1024, snapshot.MaxMemoryBytes);
        Assert.Equal(info["maxmemory"], snapshot.MaxMemoryBytes.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("volatile-lfu", snapshot.MaxMemoryPolicy);
        Assert.Equal(info["redis_version"], snapshot.RedisVersion);
        Assert.Equal(info["role"], snapshot.Role);
        Assert.Equal(long.Parse(info["evicted_keys"], CultureInfo.InvariantCulture), snapshot.EvictedKeys);
        Assert.Equal(long.Parse(info["expired_keys"], CultureInfo.InvariantCulture), snapshot.ExpiredKeys);
        Assert.InRange(snapshot.UsedMemoryBytes, long.Parse(info["used_memory"], CultureInfo.InvariantCulture) / 2, long.Parse(info["used_memory"], CultureInfo.InvariantCulture) * 2);
        Assert.InRange(snapshot.ConnectedClients, 1, long.Parse(info["connected_clients"], CultureInfo.InvariantCulture) + 1);
        Assert.Equal((long)await admin.GetServer(admin.GetEndPoints()[0]).ExecuteAsync("SLOWLOG", "LEN"), snapshot.SlowLogLength);
    }
}
