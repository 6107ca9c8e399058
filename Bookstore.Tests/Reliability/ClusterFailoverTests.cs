using System.Diagnostics;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// One primary of a Redis Cluster killed (SIGKILL) under a steady load of reads and writes through the API
/// (<see cref="CatalogLoad"/>, 40 requests a second). Its replica is promoted; meanwhile every read answers 200 (a third
/// of the keys have no primary for a few seconds: their reads come from the store), nothing answers 500, the health
/// says Degraded and is Healthy again once the API has sent what it could not, writes answer 200 again within 10 s of
/// the kill, and every acknowledged write reads back. The test cluster's <c>cluster-node-timeout</c> is 2 s
/// (<see cref="RedisCluster.NodeTimeout"/>); the failover time, from the kill to the replica answering as primary of
/// the whole cluster, is printed.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class ClusterFailoverTests
{
    private static readonly TimeSpan KillAt = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(30);

    /// <summary>The replica answers as primary within this long after the kill (the node timeout, the vote, the election).</summary>
    private static readonly TimeSpan PromotedWithin = TimeSpan.FromSeconds(10);

    /// <summary>Writes answer 200, and the API is Healthy, from this long after the kill on.</summary>
    private static readonly TimeSpan WritesBackWithin = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 180_000)]
    public async Task APrimaryKilledUnderLoadIsReplacedByItsReplicaAndTheApiKeepsAnswering()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.SkipWhen(
            Environment.GetEnvironmentVariable(RedisClusterFixture.ExistingClusterVariable) is { Length: > 0 },
            $"{RedisClusterFixture.ExistingClusterVariable} names a cluster the tests did not start: they do not kill its nodes.");
        await using var cluster = await RedisCluster.StartAsync(ct);
        using var data = new TemporaryDirectory("bookstore-failover-");
        await using var api = new CatalogApiFactory(cluster, Path.Combine(data.Path, "catalog.db"), CatalogApiFactory.UseShippedTimeouts);
        using var load = new CatalogLoad(api);
        await load.PrepareAsync(RunFor, firstId: 700_000, ct);

        // Shard 1 as created: its primary dies, its replica takes over.
        var victim = cluster.Nodes[0];
        var heir = cluster.Nodes[RedisClusterBootstrap.Shards];
        await using var admin = await RedisCluster.ConnectAdminAsync(cluster.AdminConnectionString);
        var (firstSlot, lastSlot) = RedisClusterBootstrap.SlotRange(0);
        bool OnDeadShard(int bookId) => admin.HashSlot($"bookstore:v1:books:{bookId}") is var slot && slot >= firstSlot && slot <= lastSlot;

        var run = new Failover();
        await load.RunAsync(RunFor, clock => FailOverAsync(admin, cluster, victim, heir, run, clock, ct), ct);

        var failoverTime = run.PromotedAt - run.KilledAt;
        var health = load.Probes.OrderBy(p => p.SentAt).ToArray();
        var healthyAgain = health.FirstOrDefault(p => p.SentAt > run.KilledAt && p.Body == "Healthy" && health.Any(d => d.SentAt > run.KilledAt && d.SentAt < p.SentAt && d.Body == "Degraded"));
        var table = load.Table(
            $"SIGKILL of primary 127.0.0.1:{victim.Port} at {run.KilledAt.TotalSeconds:F2} s; its replica 127.0.0.1:{heir.Port} primary of a whole cluster at {run.PromotedAt.TotalSeconds:F2} s",
            ("before", TimeSpan.Zero), ("failing over", run.KilledAt), ("after", run.PromotedAt));
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Failover time: {failoverTime.TotalSeconds:F2} s (cluster-node-timeout {RedisCluster.NodeTimeout.TotalSeconds:F0} s); " +
            $"API Healthy again {((healthyAgain?.SentAt ?? RunFor) - run.KilledAt).TotalSeconds:F2} s after the kill");

        var requests = load.Requests.ToArray();
        Assert.True(run.KilledAt > TimeSpan.Zero && failoverTime > TimeSpan.Zero && failoverTime <= PromotedWithin, $"the replica was promoted within {PromotedWithin.TotalSeconds} s\n{table}");

        // Nothing failed: every read 200 (hot books from L1, the dead shard's cold books from the store), writes 200 or 503.
        load.AssertEveryRequestAnswered(RunFor, table);
        Assert.Contains(requests, r => r.Kind == "cold" && r.SentAt > run.KilledAt && r.SentAt < run.PromotedAt && OnDeadShard(r.Id));

        // Back within 10 s: Degraded while a shard had no primary, Healthy again (what could not be sent is sent) and
        // every write answered 200, on the dead shard's books too.
        Assert.True(healthyAgain is not null && healthyAgain.SentAt - run.KilledAt <= WritesBackWithin, $"/health Degraded after the kill and Healthy again within {WritesBackWithin.TotalSeconds} s\n{table}");
        Assert.All(health.Where(p => p.SentAt > healthyAgain.SentAt), p => Assert.Equal("Healthy", p.Body));
        var writesBack = requests.Where(r => r.Kind == "write" && r.SentAt >= run.KilledAt + WritesBackWithin).ToArray();
        Assert.Contains(writesBack, r => OnDeadShard(r.Id));
        Assert.True(writesBack.All(r => r.Status == 200), $"writes answered 200 from {WritesBackWithin.TotalSeconds} s after the kill; not: {CatalogLoad.Describe(writesBack.Where(r => r.Status != 200))}\n{table}");

        // No acknowledged write lost: each reads back with the title it wrote, its shard's new primary included.
        var lost = await load.LostWritesAsync(ct);
        Assert.True(lost.Count == 0, string.Join("\n", lost) + "\n" + table);
    }

    /// <summary>
    /// Kills <paramref name="victim"/> at <see cref="KillAt"/>, then waits until <paramref name="heir"/> is a primary and
    /// every surviving node sees all 16384 slots served (on a connection opened before the kill).
    /// </summary>
    private static async Task FailOverAsync(
        ConnectionMultiplexer admin, RedisCluster cluster, RedisServer victim, RedisServer heir, Failover run, Stopwatch clock, CancellationToken ct)
    {
        await Task.Delay(KillAt, ct);
        run.KilledAt = clock.Elapsed;
        await victim.KillAsync();

        var promoted = admin.GetServer("127.0.0.1", heir.Port);
        var survivors = cluster.Nodes.Where(n => n != victim).Select(n => admin.GetServer("127.0.0.1", n.Port)).ToArray();
        while (!(await IsPrimaryAsync(promoted) && (await Task.WhenAll(survivors.Select(ServesEverySlotAsync))).All(ok => ok)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }

        run.PromotedAt = clock.Elapsed;
    }

    private static async Task<bool> IsPrimaryAsync(IServer server) =>
        ((RedisResult[])(await server.ExecuteAsync("ROLE"))!)[0].ToString() == "master";

    /// <summary>
    /// Every slot served in the node's view. Not <c>cluster_state</c>: with <c>cluster-require-full-coverage no</c> it stays
    /// ok while one shard has no primary.
    /// </summary>
    private static async Task<bool> ServesEverySlotAsync(IServer server) =>
        (await RedisClusterBootstrap.ClusterInfoAsync(server)).GetValueOrDefault("cluster_slots_ok") == RedisClusterBootstrap.HashSlots.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>When the primary was killed and when its replica was primary of a whole cluster, on the run's clock.</summary>
    private sealed class Failover
    {
        public TimeSpan KilledAt { get; set; }

        public TimeSpan PromotedAt { get; set; }
    }
}
