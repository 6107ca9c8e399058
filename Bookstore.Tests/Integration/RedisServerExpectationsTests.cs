using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Monitoring;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bookstore.Tests.Integration;

/// <summary>
/// Against a Redis the service does not run, <c>REDIS_MAXMEMORY</c>, <c>REDIS_MAX_CONNECTIONS</c> and
/// <c>REDIS_CACHE_STRATEGY</c> are compared with what INFO reports; the monitoring level decides what is collected.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RedisServerExpectationsTests
{
    private static Task<Microsoft.Extensions.Hosting.IHost> StartAsync(RedisServer server, Action<RedisOptions> expect) =>
        CachingHost.StartWithCacheAsync(server, services =>
        {
            services.AddLogging(logging => logging.AddFakeLogging());
            services.Configure(expect);
        });

    private static IReadOnlyList<FakeLogRecord> SettingsWarnings(Microsoft.Extensions.Hosting.IHost host) =>
        [.. host.Get<FakeLogCollector>().GetSnapshot().Where(r => r.Level == LogLevel.Warning && r.Message.Contains("does not run with the settings", StringComparison.Ordinal))];

    [Fact(Timeout = 60_000)]
    public async Task AServerThatDiffersGetsOneWarningNamingEverySetting()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync("--maxmemory", "64mb", "--maxclients", "100", "--maxmemory-policy", "allkeys-lru");
        using var host = await StartAsync(server, o => (o.MaxMemory, o.MaxConnections, o.EvictionPolicy) = ("512mb", 50, "volatile-lru"));

        // The poller polls every second here: after a few polls there is still exactly one line.
        await WaitForPollsAsync(host.Get<RedisServerMonitor>(), 3, ct);

        var warning = Assert.Single(SettingsWarnings(host));
        Assert.Contains("maxmemory is 67108864 bytes, REDIS_MAXMEMORY (Bookstore:Redis:MaxMemory) expects 512mb (536870912 bytes)", warning.Message, StringComparison.Ordinal);
        Assert.Contains("maxclients is 100, REDIS_MAX_CONNECTIONS (Bookstore:Redis:MaxConnections) expects 50", warning.Message, StringComparison.Ordinal);
        Assert.Contains("maxmemory-policy is allkeys-lru, REDIS_CACHE_STRATEGY (Bookstore:Redis:EvictionPolicy) expects volatile-lru", warning.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task AServerThatMatchesGetsNoWarning()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync("--maxmemory", "512mb", "--maxclients", "50", "--maxmemory-policy", "volatile-lru");
        using var host = await StartAsync(server, o => (o.MaxMemory, o.MaxConnections, o.EvictionPolicy) = ("512MB", 50, "volatile-lru"));
        var monitor = host.Get<RedisServerMonitor>();
        await WaitForPollsAsync(monitor, 2, ct);

        Assert.Empty(SettingsWarnings(host));
        Assert.Equal(50, monitor.Latest!.MaxClients);
    }

    /// <summary>Waits until the background poller has taken <paramref name="polls"/> snapshots (one a second in these hosts).</summary>
    private static async Task WaitForPollsAsync(RedisServerMonitor monitor, int polls, CancellationToken ct)
    {
        Assert.True(await LinuxProcesses.WaitUntilAsync(() => monitor.Latest is not null, TimeSpan.FromSeconds(10), ct), "The monitor never polled.");
        var first = monitor.Latest!.TakenAt;
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => monitor.Latest!.TakenAt >= first.AddSeconds(polls - 1.5), TimeSpan.FromSeconds(10 + polls), ct),
            $"The monitor did not poll {polls} times.");
    }

    [Theory(Timeout = 60_000)]
    [InlineData(RedisMonitoringLevel.Basic)]
    [InlineData(RedisMonitoringLevel.Full)]
    public async Task FullMonitoringCollectsPerCommandStatisticsAndBasicDoesNot(RedisMonitoringLevel level)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RedisServer.StartAsync();
        using var host = await StartAsync(server, o => o.MonitoringLevel = level);
        using var calls = new MetricCollector<long>(host.Get<IMeterFactory>(), RedisConnectionManager.MeterName, "bookstore.redis.commands.calls");
        var db = host.Get<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        for (var i = 0; i < 5; i++)
        {
            await db.StringSetAsync("bookstore:v1:test:" + i, "x");
        }

        var snapshot = await host.Get<RedisServerMonitor>().PollAsync(ct);
        calls.RecordObservableInstruments();

        if (level == RedisMonitoringLevel.Basic)
        {
            Assert.Null(snapshot.Commands);
            Assert.Empty(calls.GetMeasurementSnapshot());
        }
        else
        {
            Assert.True(Assert.Single(snapshot.Commands!, c => c.Command == "set").Calls >= 5);
            Assert.Contains(calls.GetMeasurementSnapshot(), m => Equals(m.Tags["command"], "set") && m.Value >= 5);
        }

        // Both levels: INFO, the slow log and the latency monitor.
        Assert.True(snapshot.UsedMemoryBytes > 0);
        Assert.NotNull(snapshot.MaxClients);
    }
}
