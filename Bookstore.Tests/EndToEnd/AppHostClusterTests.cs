using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.EndToEnd;

/// <summary>
/// The real AppHost with <c>--Bookstore:Redis:Topology=cluster</c> in local mode: six redis-server nodes, each a child
/// resource of <c>cache</c> with its role, made into a cluster on the first start; api and worker cache on it. A second
/// start on the same data folder reloads the cluster (each node's <c>nodes.conf</c>) and keeps its data.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(AppHostCollection.Name)]
public sealed class AppHostClusterTests
{
    /// <summary>A list page the warmer does not warm: its first read is a miss.</summary>
    private const string ColdPage = "/books?sort=title&pageSize=7&page=2";

    [Fact(Timeout = 480_000)]
    public async Task SixHealthyNodesFormTheCacheTheApiReadsThroughAndALaterStartReloadsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-e2e-cluster-");
        string[] args =
        [
            "--Bookstore:Redis:Topology=cluster", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
            "--Bookstore:Prometheus:Mode=off",
        ];
        var clusterDirectory = Path.Combine(data.Path, BookstoreRedisClusterExtensions.ClusterFolder);

        await using (var app = await StartAsync(args, ct))
        {
            var nodes = await ClusterNodesAsync(app, ct);
            Assert.Equal(
                ["cache-shard-1-primary", "cache-shard-2-primary", "cache-shard-3-primary", "cache-shard-1-replica", "cache-shard-2-replica", "cache-shard-3-replica"],
                nodes.Select(n => n.Resource.Name));
            foreach (var node in nodes)
            {
                Assert.Single(node.Resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource.Name == "cache");
                Assert.True(await LinuxProcesses.WaitUntilAsync(() => RoleOf(app, node.Resource.Name) is not null, TimeSpan.FromSeconds(30), ct), $"{node.Resource.Name} shows no role.");
                Assert.Equal($"{(node.CreatedAsPrimary ? "primary" : "replica")}, shard {node.Shard}", RoleOf(app, node.Resource.Name));
                Assert.Single(LinuxProcesses.RedisServersIn(node.Resource.DataDirectory));
            }

            var cache = (IResourceWithConnectionString)app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "cache");
            var connectionString = await cache.GetConnectionStringAsync(ct);
            Assert.Equal(nodes.Select(n => $"127.0.0.1:{n.Port}"), connectionString!.Split(',').Take(6));
            Assert.Contains($",user={RedisUsers.App},password=", connectionString, StringComparison.Ordinal);

            // The api caches on the cluster: a cold page is a miss, then an L1 hit; the server monitor polls every node.
            using var api = app.CreateHttpClient("api");
            Assert.Equal("miss", await PageSourceAsync(api, ct));
            Assert.Equal("hit-l1", await PageSourceAsync(api, ct));
            JsonElement metrics = default;
            Assert.True(await LinuxProcesses.WaitUntilAsync(
                async () => (metrics = await api.GetFromJsonAsync<JsonElement>("/redis/metrics", ct)).GetProperty("nodes").ValueKind == JsonValueKind.Array,
                TimeSpan.FromSeconds(60),
                ct), "The server monitor stored no snapshot of the cluster's nodes.");
            Assert.Equal(6, metrics.GetProperty("nodes").GetArrayLength());

            // api, worker, the monitor and the AppHost's health checks: not one command refused on any node.
            foreach (var node in nodes)
            {
                await using var admin = await RedisAdminCommands.ConnectAsync((await RedisDashboardCommands.AdminConnectionString(node.Resource).GetValueAsync(ct))!);
                var refusals = (RedisResult[])(await admin.GetServer("127.0.0.1", node.Port).ExecuteAsync("ACL", "LOG"))!;
                Assert.True(refusals.Length == 0, $"{node.Resource.Name} refused commands: " + string.Join(" | ", refusals.Select(r => string.Join(' ', ((RedisResult[])r!).Select(f => f.ToString())))));
            }
        }

        await AssertNoNodeRunsAsync(clusterDirectory, ct);
        var nodeIds = NodeIds(clusterDirectory);

        // A later start: the same nodes on the same ports reload the cluster (each keeps its id), and what it cached is still there.
        await using (var app = await StartAsync(args, ct))
        {
            using var api = app.CreateHttpClient("api");
            Assert.Equal("hit-l2", await PageSourceAsync(api, ct));
        }

        await AssertNoNodeRunsAsync(clusterDirectory, ct);
        Assert.Equal(nodeIds, NodeIds(clusterDirectory));
    }

    private static async Task AssertNoNodeRunsAsync(string clusterDirectory, CancellationToken ct) =>
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(() => Directory.GetDirectories(clusterDirectory).All(d => LinuxProcesses.RedisServersIn(d).Count == 0), TimeSpan.FromSeconds(30), ct),
            "A cluster node was still running 30 s after the AppHost was disposed.");

    private static async Task<DistributedApplication> StartAsync(string[] args, CancellationToken ct)
    {
        var builder = await AppHostBuilder.CreateAsync(args, ct);
        var app = await builder.BuildAsync(ct);
        try
        {
            await app.StartServicesAsync(ct);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The six nodes, each Healthy.</summary>
    private static async Task<IReadOnlyList<RedisClusterNode>> ClusterNodesAsync(DistributedApplication app, CancellationToken ct)
    {
        var cluster = Assert.IsType<RedisClusterResource>(app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "cache"));
        foreach (var node in cluster.Nodes)
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(node.Resource.Name, ct);
        }

        return cluster.Nodes;
    }

    private static string? RoleOf(DistributedApplication app, string resource) =>
        app.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state.Snapshot.Properties.FirstOrDefault(p => p.Name == RedisClusterResource.RoleProperty)?.Value as string
            : null;

    private static async Task<string> PageSourceAsync(HttpClient api, CancellationToken ct)
    {
        using var response = await api.GetAsync(new Uri(ColdPage, UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("items").GetArrayLength());
        return response.Headers.GetValues("X-Cache").Single();
    }

    /// <summary>Each node folder's own node id, from the <c>myself</c> line of its <c>nodes.conf</c> (read once the node has stopped: it locks the file).</summary>
    private static Dictionary<string, string> NodeIds(string clusterDirectory) =>
        Directory.GetDirectories(clusterDirectory).ToDictionary(
            directory => Path.GetFileName(directory),
            directory => File.ReadLines(Path.Combine(directory, RedisClusterBootstrap.NodesFileName)).Single(line => line.Split(' ')[2].Contains("myself", StringComparison.Ordinal)).Split(' ')[0],
            StringComparer.Ordinal);
}
