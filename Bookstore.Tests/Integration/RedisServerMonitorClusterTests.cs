using System.Diagnostics.Metrics;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Monitoring;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Bookstore.Tests.Integration;

/// <summary>The server monitor on a Redis Cluster: every node polled, each measurement named by its endpoint, role and shard.</summary>
[Trait("Category", "Integration")]
public sealed class RedisServerMonitorClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    [Fact(Timeout = 120_000)]
    public async Task EveryNodeIsPolledAndMeasuredWithItsEndpointRoleAndShard()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = await fixture.FlushedAsync();
        // Not as a background service: this test's poll is the only one, so the instruments show what it returned.
        using var host = await CachingHost.StartAsync(redis, new KeyValuePair<string, string?>("Bookstore:Redis:EnableMonitoring", "false"));
        using var memory = new MetricCollector<long>(host.Get<IMeterFactory>(), RedisConnectionManager.MeterName, "bookstore.redis.memory.used");

        var snapshot = await host.Get<RedisServerMonitor>().PollAsync(ct);

        var nodes = snapshot.EveryNode;
        var described = string.Join("; ", nodes.Select(n => $"{n.Endpoint} {n.NodeRole} shard {n.Shard}"));
        TestContext.Current.TestOutputHelper?.WriteLine(described);
        var shards = nodes.Select(n => n.Shard).Distinct().ToArray();
        Assert.True(shards.Length >= 3 && shards.All(s => s is > 0), described);
        foreach (var shard in nodes.GroupBy(n => n.Shard))
        {
            Assert.Single(shard, n => n.NodeRole == "primary");
            Assert.Contains(shard, n => n.NodeRole == "replica");
        }

        Assert.Equal(nodes.Count, nodes.Select(n => n.Endpoint).Distinct().Count());
        Assert.All(nodes, n => Assert.True(n.UsedMemoryBytes > 0, n.Endpoint));
        Assert.Equal((1, "primary"), (snapshot.Shard, snapshot.NodeRole));
        if (fixture.Started is { } cluster)
        {
            Assert.Equal(cluster.Nodes.Select(n => $"127.0.0.1:{n.Port}").Order(), nodes.Select(n => n.Endpoint).Order());
            Assert.Equal([1, 1, 2, 2, 3, 3], nodes.Select(n => n.Shard!.Value));
        }

        // One measurement per node, told apart by its attributes.
        memory.RecordObservableInstruments();
        var measured = memory.GetMeasurementSnapshot();
        Assert.Equal(nodes.Count, measured.Count);
        Assert.Equal(
            nodes.Select(n => $"{n.Endpoint} {n.NodeRole} {n.Shard}").Order(),
            measured.Select(m => $"{m.Tags["endpoint"]} {m.Tags["role"]} {m.Tags["shard"]}").Order());
    }
}
