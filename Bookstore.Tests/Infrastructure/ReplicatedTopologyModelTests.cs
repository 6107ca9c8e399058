using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Infrastructure;

/// <summary>
/// The Production profile's replicated topology on the AppHost's model, checked without starting anything: the
/// processes and their settings, what the services are given, and the modes it refuses. The processes themselves run in
/// AppHostReplicatedTopologyTests.
/// </summary>
[Trait("Category", "Infrastructure")]
public sealed class ReplicatedTopologyModelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) => AppHostModel.CreateAsync(args);

    [Fact]
    public async Task ProductionRunsTwoDataNodesAndThreeSentinelsAsChildrenOfCacheEachOnItsOwnPortFolderAndHealthCheck()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Profile=Production", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");

        var cache = Assert.IsType<ReplicatedRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        var nodes = builder.Resources.OfType<RedisDataNodeResource>().OrderBy(n => n.Index).ToList();
        var sentinels = builder.Resources.OfType<RedisSentinelResource>().OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["cache-node-1", "cache-node-2"], nodes.Select(n => n.Name));
        Assert.Equal(["cache-sentinel-1", "cache-sentinel-2", "cache-sentinel-3"], sentinels.Select(s => s.Name));
        Assert.Equal(nodes.Select(n => n.Port), cache.Topology.DataNodePorts);
        Assert.Equal(sentinels.Select(s => s.Port), cache.Topology.SentinelPorts);
        Assert.Equal(5, nodes.Select(n => n.Port).Concat(sentinels.Select(s => s.Port)).Distinct().Count());

        foreach (var node in nodes)
        {
            Assert.Equal("redis-server", node.Command);
            Assert.Equal(Path.Combine(data.Path, node.Name), node.WorkingDirectory);
            Assert.Equal([Path.Combine(data.Path, node.Name, LocalRedisResource.RuntimeConfigFileName)], await builder.ArgumentsAsync(node));
        }

        foreach (var sentinel in sentinels)
        {
            Assert.Equal(Path.Combine(data.Path, sentinel.Name), sentinel.WorkingDirectory);
            var args = await builder.ArgumentsAsync(sentinel);
            Assert.Equal(sentinel.ConfigPath, args[0]);
            Assert.True(sentinel.Command == "redis-sentinel" ? args.Count == 1 : args is [_, "--sentinel"], string.Join(' ', args));
        }

        foreach (var process in nodes.Cast<ExecutableResource>().Concat(sentinels))
        {
            var endpoint = Assert.Single(process.Annotations.OfType<EndpointAnnotation>());
            Assert.False(endpoint.IsProxied);
            Assert.Equal(endpoint.Port, endpoint.TargetPort);
            Assert.Equal($"{process.Name}_check", Assert.Single(process.Annotations.OfType<HealthCheckAnnotation>()).Key);
            Assert.Contains(process.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == cache && r.Type == "Parent");

            // cache is Running once every process has started, and healthy once a PING through the Sentinels reaches the primary.
            Assert.Contains(cache.Annotations.OfType<WaitAnnotation>(), w => w.Resource == process && w.WaitType == WaitType.WaitUntilStarted);
        }

        Assert.Equal("cache_primary_check", Assert.Single(cache.Annotations.OfType<HealthCheckAnnotation>()).Key);
    }

    [Fact]
    public async Task ServicesConnectThroughTheSentinelsReadFromReplicasAndTheApiRunsTwice()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Profile=Production", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");
        var cache = Assert.IsType<ReplicatedRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));

        // The shape of ReplicatedRedisConfiguration.ConnectionString, the password filled in from its parameter at run time.
        Assert.Equal(
            ReplicatedRedisConfiguration.ConnectionString(cache.Topology.SentinelPorts, RedisUsers.App, "{cache-password.value}"),
            cache.ConnectionStringExpression.ValueExpression);
        Assert.StartsWith($"127.0.0.1:{cache.Topology.SentinelPorts[0]},", cache.ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);

        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == name);
            Assert.Equal("true", (await builder.EnvironmentAsync(project, "Bookstore__Redis__PreferReplica"))["Bookstore__Redis__PreferReplica"]);
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource == cache);

            var monitor = await MonitorConnectionAsync(builder, project);
            Assert.Equal(ReplicatedRedisConfiguration.ConnectionString(cache.Topology.SentinelPorts, RedisUsers.Monitor, "{cache-monitor-password.value}"), monitor);
        }

        var api = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "api");
        Assert.Equal(2, Assert.Single(api.Annotations.OfType<ReplicaAnnotation>()).Replicas);
        var worker = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "worker");
        Assert.Equal(1, worker.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1);

        // Replication and Sentinel have generated passwords of their own, in this topology only.
        foreach (var name in new[] { "cache-replication-password", "cache-sentinel-password" })
        {
            var parameter = Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == name));
            Assert.True(parameter.Secret);
            Assert.True((await parameter.GetValueAsync(Token))!.Length >= 32);
        }
    }

    [Fact]
    public async Task CacheOffersTheFailoverDrillsBesideTheAdminCommands()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Profile=Production", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");
        var cache = Assert.Single(builder.Resources, r => r.Name == "cache");

        var commands = cache.Annotations.OfType<ResourceCommandAnnotation>().ToList();
        Assert.Equal(
            [RedisDashboardCommands.SlowLogCommand, RedisDashboardCommands.MemoryReportCommand, RedisDashboardCommands.RewriteAofCommand,
             ReplicatedRedisExtensions.FailOverCommand, ReplicatedRedisExtensions.PausePrimaryCommand, RedisDashboardCommands.FlushCacheTypeCommand],
            commands.Select(c => c.Name));
        Assert.All(commands.Where(c => c.Name is ReplicatedRedisExtensions.FailOverCommand or ReplicatedRedisExtensions.PausePrimaryCommand), c => Assert.NotNull(c.ConfirmationMessage));
    }

    [Fact]
    public async Task TheReplicatedTopologyAlwaysHasAReplicaForTheSentinelsToPromote()
    {
        // The Local profile has no read replica of its own.
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Redis:Topology=replicated", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");

        Assert.Equal(0, BookstoreProfile.Local.ReadReplicas);
        Assert.Equal(["cache-node-1", "cache-node-2"], builder.Resources.OfType<RedisDataNodeResource>().Select(n => n.Name).Order());
        Assert.Equal(3, builder.Resources.OfType<RedisSentinelResource>().Count());
        var api = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "api");
        Assert.Equal(1, api.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1);
    }

    [Fact]
    public async Task TheSingleTopologyStaysAvailableInProductionOnTheCommandLine()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync(
            "--Bookstore:Profile=Production", "--Bookstore:Redis:Topology=single", "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");

        Assert.IsType<LocalRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.Empty(builder.Resources.OfType<RedisDataNodeResource>());
        Assert.Empty(builder.Resources.OfType<RedisSentinelResource>());
        Assert.DoesNotContain(builder.Resources, r => r.Name is "cache-replication-password" or "cache-sentinel-password");
        var api = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "api");
        Assert.Null((await builder.EnvironmentAsync(api, "Bookstore__Redis__PreferReplica"))["Bookstore__Redis__PreferReplica"]);
    }

    [Theory]
    [InlineData("--Bookstore:Redis:Mode=container", "--Bookstore:Redis:DataDirectory=.", "'Bookstore:Redis:Topology=single'")]
    [InlineData("--Bookstore:Redis:Mode=local", "--Bookstore:Redis:Port=16390", "REDIS_PORT")]
    public async Task WhatTheReplicatedTopologyCannotDoIsRefusedNamingTheWayOut(string mode, string setting, string wayOut)
    {
        var error = await Assert.ThrowsAnyAsync<DistributedApplicationException>(() => CreateAsync("--Bookstore:Profile=Production", mode, setting));
        Assert.Contains(wayOut, AppHostModel.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsIsRefusedInTheReplicatedTopology()
    {
        using var certificates = TestCertificates.Create();
        var error = await Assert.ThrowsAnyAsync<DistributedApplicationException>(() => CreateAsync(
            "--Bookstore:Profile=Production", "--Bookstore:Redis:Mode=local", "--Bookstore:Redis:Tls:Enabled=true",
            $"--Bookstore:Redis:Tls:CertificateFile={certificates.ServerCertificateFile}", $"--Bookstore:Redis:Tls:KeyFile={certificates.ServerKeyFile}"));
        Assert.Contains("Bookstore:Redis:Topology=single", AppHostModel.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public void ProductionDataNodesKeepConfigUnderASecretNameForTheSentinels()
    {
        var renamed = ReplicatedRedisExtensions.RenamedCommands(BookstoreProfile.Production, "sentinel-password-one");
        var name = Assert.Single(renamed, r => r.Key == "CONFIG").Value;
        Assert.StartsWith("CONFIG-", name, StringComparison.Ordinal);
        Assert.Equal(name, ReplicatedRedisExtensions.RenamedCommands(BookstoreProfile.Production, "sentinel-password-one")["CONFIG"]);
        Assert.NotEqual(name, ReplicatedRedisExtensions.RenamedCommands(BookstoreProfile.Production, "sentinel-password-two")["CONFIG"]);
        Assert.Empty(ReplicatedRedisExtensions.RenamedCommands(BookstoreProfile.Local, "sentinel-password-one"));

        // Sentinel runs CONFIG REWRITE when it promotes a replica: removed, the failover never completes.
        var config = BookstoreRedisExtensions.RenderRuntimeConfig("/repo/redis/redis.conf", "/data/cache-node-1", 16400, BookstoreProfile.Production, renamedCommands: renamed);
        Assert.Contains($"rename-command CONFIG \"{name}\"", config, StringComparison.Ordinal);
        Assert.Contains("rename-command FLUSHALL \"\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain("rename-command CONFIG \"\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProcessStartsFirstWithNodeOneAsThePrimaryAndAfterThatFollowsWhatTheAppHostLastSawWhenNoSentinelAnswers()
    {
        // Ports nothing listens on: no Sentinel answers.
        int[] nodes = [LoopbackPort.FindFree(), LoopbackPort.FindFree()];
        var topology = new ReplicatedRedisTopology(nodes, [LoopbackPort.FindFree(), LoopbackPort.FindFree(), LoopbackPort.FindFree()]);

        Assert.Equal(new PrimaryChoice(nodes[0], PrimaryChoiceSource.FreshStart), await topology.PrimaryForStartAsync(nodes[1], "admin", Token));
        Assert.Equal(new PrimaryChoice(nodes[0], PrimaryChoiceSource.LastSeen), await topology.PrimaryForStartAsync(nodes[1], "admin", Token));
        topology.ObservePrimary(nodes[1]);
        Assert.Equal(new PrimaryChoice(nodes[0], PrimaryChoiceSource.FreshStart), await topology.PrimaryForStartAsync(nodes[0], "admin", Token));
        Assert.Equal(new PrimaryChoice(nodes[1], PrimaryChoiceSource.LastSeen), await topology.PrimaryForStartAsync(nodes[0], "admin", Token));
    }

    private static async Task<string?> MonitorConnectionAsync(IDistributedApplicationTestingBuilder builder, IResource project)
    {
        var values = new Dictionary<string, object>();
        foreach (var annotation in project.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(new EnvironmentCallbackContext(builder.ExecutionContext, project, values, Token));
        }

        return values.TryGetValue("ConnectionStrings__cache-monitor", out var value) ? (value as ReferenceExpression)?.ValueExpression : null;
    }
}
