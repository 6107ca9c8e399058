using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Infrastructure;

/// <summary>The AppHost's model with <c>--Bookstore:Redis:Topology=cluster</c>, checked without starting anything.</summary>
[Trait("Category", "Infrastructure")]
public sealed class AppHostClusterModelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(["--Bookstore:Redis:Topology=cluster", .. args], Token);

    [Fact]
    public async Task CacheIsSixRedisServerNodesOnLoopbackEachWithItsRoleHealthCheckAndCommands()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Redis:Port=17100");

        var cache = Assert.IsType<RedisClusterResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.Equal("cache_cluster_check", Assert.Single(cache.Annotations.OfType<HealthCheckAnnotation>()).Key);
        string[] names = ["cache-shard-1-primary", "cache-shard-2-primary", "cache-shard-3-primary", "cache-shard-1-replica", "cache-shard-2-replica", "cache-shard-3-replica"];
        Assert.Equal(names, cache.Nodes.Select(n => n.Resource.Name));
        Assert.Equal(names, builder.Resources.OfType<LocalRedisResource>().Select(r => r.Name));
        for (var i = 0; i < cache.Nodes.Count; i++)
        {
            var node = cache.Nodes[i];
            Assert.Equal(((i % 3) + 1, i < 3, 17100 + i), (node.Shard, node.CreatedAsPrimary, node.Port));
            var resource = node.Resource;
            Assert.Equal("redis-server", resource.Command);
            Assert.Equal(Path.Combine(data.Path, BookstoreRedisClusterExtensions.ClusterFolder, resource.Name), resource.WorkingDirectory);
            Assert.Equal([resource.RuntimeConfigPath], await builder.ArgumentsAsync(resource));
            var endpoint = Assert.Single(resource.Annotations.OfType<EndpointAnnotation>());
            Assert.Equal((17100 + i, 17100 + i, false), (endpoint.Port, endpoint.TargetPort, endpoint.IsProxied));
            Assert.Equal($"{resource.Name}_check", Assert.Single(resource.Annotations.OfType<HealthCheckAnnotation>()).Key);
            Assert.Single(resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource == cache);
            Assert.Contains(resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == RedisDashboardCommands.SlowLogCommand);
        }

        // The services get every node as the app user; their monitor every node as the monitor user; the topology.
        var connectionString = cache.ConnectionStringExpression.ValueExpression;
        Assert.Equal(6, connectionString.Split(',').Count(part => part.Contains(".bindings.tcp.", StringComparison.Ordinal)));
        Assert.EndsWith(",user=bookstore-app,password={cache-password.value}", connectionString, StringComparison.Ordinal);
        Assert.EndsWith(",user=bookstore-monitor,password={cache-monitor-password.value}", cache.MonitorConnectionString.ValueExpression, StringComparison.Ordinal);
        Assert.True(Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == "cache-replication-password")).Secret);
        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == name);
            Assert.Equal("Cluster", (await builder.EnvironmentAsync(project, "Bookstore__Redis__Topology"))["Bookstore__Redis__Topology"]);
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource == cache);
        }
    }

    [Fact]
    public void ANodesConfigurationIsTheSingleServersWithTheClusterAndReplicationSettings()
    {
        var rendered = RedisClusterBootstrap.RenderNodeConfig("/repo/redis/redis.conf", "/data/cluster/cache-shard-1-replica", 17103, BookstoreProfile.Local, RedisClusterBootstrap.NodeTimeout, "replication-secret")
            .ReplaceLineEndings("\n");

        Assert.StartsWith(BookstoreRedisExtensions.RenderRuntimeConfig("/repo/redis/redis.conf", "/data/cluster/cache-shard-1-replica", 17103, BookstoreProfile.Local).ReplaceLineEndings("\n"), rendered, StringComparison.Ordinal);
        foreach (var line in new[]
        {
            "cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000", "cluster-require-full-coverage no",
            "masteruser bookstore-replication", "masterauth replication-secret",
        })
        {
            Assert.Contains(line + "\n", rendered, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ALaterStartTakesEachNodesPortFromItsNodesConf()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        var node = Path.Combine(data.Path, BookstoreRedisClusterExtensions.ClusterFolder, "cache-shard-2-replica");
        Directory.CreateDirectory(node);
        await File.WriteAllTextAsync(
            Path.Combine(node, RedisClusterBootstrap.NodesFileName),
            "0a1b 127.0.0.1:17777@27777 myself,slave 4c5d 0 0 5 connected\n4c5d 127.0.0.1:17101@27101 master - 0 1 2 connected 5461-10921\nvars currentEpoch 6 lastVoteEpoch 0\n",
            Token);

        await using (var builder = await CreateAsync("--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}"))
        {
            var cache = Assert.IsType<RedisClusterResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
            Assert.Equal(17777, Assert.Single(cache.Nodes, n => n.Resource.Name == "cache-shard-2-replica").Port);
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Redis:Port=17100"));
        Assert.Contains("was created on port 17777, but 'Bookstore:Redis:Port' puts it on 17104", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContainerModeIsRefusedNamingTheModesThatRunACluster()
    {
        var error = Flatten(await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=container")));

        Assert.Contains("has no container mode", error, StringComparison.Ordinal);
        Assert.Contains("'Bookstore:Redis:Mode=local'", error, StringComparison.Ordinal);
        Assert.Contains("'Bookstore:Redis:Mode=external'", error, StringComparison.Ordinal);
    }

    private static string Flatten(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " | " + Flatten(error.InnerException);
}
