using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Infrastructure;

/// <summary>The AppHost's model in each Redis mode, checked without starting anything (CI has no container engine).</summary>
[Trait("Category", "Infrastructure")]
public sealed class AppHostModelTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) => AppHostModel.CreateAsync(args);

    [Fact]
    public async Task ContainerModeRunsRedisImageWithOurConfigPasswordVolumeAndHealthCheck()
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=container");

        var cache = Assert.IsType<RedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));

        var image = Assert.Single(cache.Annotations.OfType<ContainerImageAnnotation>());
        Assert.EndsWith("redis", image.Image, StringComparison.Ordinal);

        var mounts = cache.Annotations.OfType<ContainerMountAnnotation>().ToList();
        var config = Assert.Single(mounts, m => m.Type == ContainerMountType.BindMount && m.Target == BookstoreRedisExtensions.ContainerConfigPath);
        Assert.True(config.IsReadOnly);
        Assert.Equal(Path.Combine(RepositoryRoot(), "redis", "redis.conf"), config.Source);
        var data = Assert.Single(mounts, m => m.Type == ContainerMountType.Volume);
        Assert.Equal("/data", data.Target);

        Assert.NotNull(cache.PasswordParameter);
        Assert.True(cache.PasswordParameter!.Secret);
        // One health check, ours (as bookstore-monitor), instead of Aspire's (which would log in as the app user).
        Assert.Equal("cache_monitor_check", Assert.Single(cache.Annotations.OfType<HealthCheckAnnotation>()).Key);

        var args = await builder.ArgumentsAsync(cache);
        Assert.Equal(["-c", string.Join(' ', BookstoreRedisExtensions.ContainerServerCommand(BookstoreProfile.Local))], args);
        Assert.StartsWith($"redis-server {BookstoreRedisExtensions.ContainerConfigPath} --aclfile {BookstoreRedisExtensions.ContainerAclPath}", args[1], StringComparison.Ordinal);
        Assert.DoesNotContain("requirepass", args[1], StringComparison.Ordinal);
        Assert.Contains("--maxmemory 512mb", args[1], StringComparison.Ordinal);

        var environment = await builder.EnvironmentAsync(cache, "REDIS_PASSWORD");
        Assert.False(string.IsNullOrEmpty(environment["REDIS_PASSWORD"]));
        Assert.DoesNotContain(environment["REDIS_PASSWORD"]!, args[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalModeRunsRedisServerOnLoopbackWithTheRenderedConfig()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Redis:Port=16390");

        var cache = Assert.IsType<LocalRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.Equal("redis-server", cache.Command);
        Assert.Equal(data.Path, cache.WorkingDirectory);

        var args = await builder.ArgumentsAsync(cache);
        Assert.Equal([Path.Combine(data.Path, LocalRedisResource.RuntimeConfigFileName)], args);

        var endpoint = Assert.Single(cache.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(16390, endpoint.Port);
        Assert.Equal(16390, endpoint.TargetPort);
        Assert.False(endpoint.IsProxied);
        Assert.Contains(cache.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "cache_check");
        Assert.True(cache.PasswordParameter.Secret);

        var rendered = BookstoreRedisExtensions.RenderRuntimeConfig(
            Path.Combine(RepositoryRoot(), "redis", "redis.conf"), data.Path, 16390, BookstoreProfile.Local);
        Assert.Contains($"include \"{Path.Combine(RepositoryRoot(), "redis", "redis.conf")}\"", rendered, StringComparison.Ordinal);
        Assert.Contains("bind 127.0.0.1 -::1", rendered, StringComparison.Ordinal);
        Assert.Contains("port 16390", rendered, StringComparison.Ordinal);
        Assert.Contains("maxmemory 512mb", rendered, StringComparison.Ordinal);
        Assert.Contains("maxclients 50", rendered, StringComparison.Ordinal);
        Assert.Contains($"aclfile \"{Path.Combine(data.Path, "users.acl")}\"", rendered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("container")]
    [InlineData("local")]
    public async Task ServicesConnectAsTheAppUserAndTheMonitorAsTheMonitorUser(string mode)
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync($"--Bookstore:Redis:Mode={mode}", $"--Bookstore:Redis:DataDirectory={data.Path}");
        var cache = Assert.Single(builder.Resources.OfType<IResourceWithConnectionString>(), r => r.Name == "cache");

        // The services' connection string names the app user; only the endpoint and the password are filled in at run time.
        var connectionString = cache.ConnectionStringExpression.ValueExpression;
        Assert.Contains(",user=bookstore-app,password={cache-password.value}", connectionString, StringComparison.Ordinal);

        var users = Assert.Single(cache.Annotations.OfType<RedisUsersAnnotation>());
        Assert.Equal(Path.Combine(data.Path, "users.acl"), users.AclFile);
        foreach (var (parameter, name) in new[] { (users.Passwords.App.Resource, "cache-password"), (users.Passwords.Monitor.Resource, "cache-monitor-password"), (users.Passwords.Admin.Resource, "cache-admin-password") })
        {
            Assert.Equal(name, parameter.Name);
            Assert.True(parameter.Secret);
        }

        if (mode == "container")
        {
            var acl = Assert.Single(cache.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == BookstoreRedisExtensions.ContainerAclPath);
            Assert.Equal(users.AclFile, acl.Source);
            Assert.True(acl.IsReadOnly);
        }

        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == name);
            var monitors = 0;
            foreach (var annotation in project.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                monitors += await IsMonitorConnectionAsync(builder, project, annotation) ? 1 : 0;
            }

            Assert.Equal(1, monitors);
        }
    }

    [Fact]
    public async Task CacheHasTheDashboardCommandsAndTheApiTheAdminKey()
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=local");
        var cache = Assert.Single(builder.Resources, r => r.Name == "cache");

        var commands = cache.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToList();
        Assert.Contains(RedisDashboardCommands.SlowLogCommand, commands);
        Assert.Contains(RedisDashboardCommands.MemoryReportCommand, commands);
        Assert.Contains(RedisDashboardCommands.RewriteAofCommand, commands);
        Assert.Contains(RedisDashboardCommands.FlushCacheTypeCommand, commands);
        Assert.NotNull(Assert.Single(cache.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == RedisDashboardCommands.RewriteAofCommand).ConfirmationMessage);
        Assert.Contains(",user=bookstore-admin,password={cache-admin-password.value}", RedisDashboardCommands.AdminConnectionString(cache).ValueExpression, StringComparison.Ordinal);

        var key = Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == "api-admin-key"));
        Assert.True(key.Secret);
        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == name);
            var environment = await builder.EnvironmentAsync(project, "Bookstore__Security__AdminApiKey");
            Assert.Equal(await key.GetValueAsync(Token), environment["Bookstore__Security__AdminApiKey"]);
        }
    }

    [Fact]
    public async Task TheApiGetsTheGeneratedDemoReaderPasswordAndTheWorkerDoesNot()
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=local");
        var password = Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == "demo-reader-password"));
        Assert.True(password.Secret);
        var value = await password.GetValueAsync(Token);
        Assert.True(value!.Length >= 24, "The generated demo reader password is at least 24 characters.");

        var api = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "api");
        Assert.Equal(value, (await builder.EnvironmentAsync(api, "Bookstore__Catalog__DemoReaderPassword"))["Bookstore__Catalog__DemoReaderPassword"]);
        var worker = Assert.Single(builder.Resources.OfType<ProjectResource>(), r => r.Name == "worker");
        Assert.Null((await builder.EnvironmentAsync(worker, "Bookstore__Catalog__DemoReaderPassword"))["Bookstore__Catalog__DemoReaderPassword"]);
    }

    private static async Task<bool> IsMonitorConnectionAsync(IDistributedApplicationTestingBuilder builder, IResource project, EnvironmentCallbackAnnotation annotation)
    {
        var values = new Dictionary<string, object>();
        await annotation.Callback(new EnvironmentCallbackContext(builder.ExecutionContext, project, values, Token));
        return values.TryGetValue("ConnectionStrings__cache-monitor", out var value)
            && value is ReferenceExpression expression
            && expression.ValueExpression.Contains(",user=bookstore-monitor,password={cache-monitor-password.value}", StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalModeStartsNothingAndGivesTheConnectionStringToApiAndWorker()
    {
        const string connectionString = "redis.example.internal:6380,ssl=true,password=from-the-vault";
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=external", $"--ConnectionStrings:cache={connectionString}", "--Bookstore:Prometheus:Mode=off");

        Assert.Empty(builder.Resources.OfType<ContainerResource>());
        Assert.Empty(builder.Resources.OfType<LocalRedisResource>());
        Assert.Empty(builder.Resources.OfType<RedisResource>());
        Assert.IsAssignableFrom<IResourceWithConnectionString>(Assert.Single(builder.Resources, r => r.Name == "cache"));

        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.IsType<ProjectResource>(Assert.Single(builder.Resources, r => r.Name == name));
            var environment = await builder.EnvironmentAsync(project, "ConnectionStrings__cache");
            Assert.Equal(connectionString, environment["ConnectionStrings__cache"]);
        }
    }

    [Fact]
    public async Task ExternalModeWithoutConnectionStringFailsWithTheSettingToGive()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=external"));
        Assert.Contains("ConnectionStrings:cache", AppHostModel.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownModeFailsNamingTheSetting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=cluster"));
        Assert.Contains("Bookstore:Redis:Mode", AppHostModel.Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiAndWorkerWaitForCacheAndApiHasHttpHealthCheck()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}");

        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources, r => r.Name == name);
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "cache");
            Assert.Contains(project.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource.Name == "cache");
        }

        var api = Assert.Single(builder.Resources, r => r.Name == "api");
        Assert.NotEmpty(api.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public async Task ApiAndWorkerShareTheGeneratedAdminKeyAndEachHasAManagementEndpointForHealthAndPrometheus()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
            "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={data.Path}/prometheus");

        var key = Assert.IsType<ParameterResource>(Assert.Single(builder.Resources, r => r.Name == "api-admin-key"));
        Assert.True(key.Secret);

        var keys = new List<string?>();
        foreach (var name in new[] { "api", "worker" })
        {
            var project = Assert.Single(builder.Resources, r => r.Name == name);
            keys.Add((await builder.EnvironmentAsync(project, "Bookstore__Security__AdminApiKey"))["Bookstore__Security__AdminApiKey"]);
            var management = Assert.Single(project.Annotations.OfType<EndpointAnnotation>(), e => e.Name == ManagementEndpointExtensions.EndpointName);
            Assert.Equal("http", management.UriScheme);
        }

        Assert.Equal(keys[0], keys[1]);
        Assert.True(keys[0]!.Length >= 32, "The generated admin key is at least 32 characters.");

        // The api's readiness check targets the management endpoint, where /health answers outside Development.
        var api = Assert.Single(builder.Resources, r => r.Name == "api");
        var check = Assert.Single(api.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Contains(ManagementEndpointExtensions.EndpointName, check.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileNumbersReachApiAndWorker()
    {
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=external", "--ConnectionStrings:cache=localhost:6379", "--Bookstore:Profile=Production");

        foreach (var name in new[] { "api", "worker" })
        {
            var environment = await builder.EnvironmentAsync(
                Assert.Single(builder.Resources, r => r.Name == name), "Bookstore__Profile", "Bookstore__Cache__CompressionThresholdBytes");
            Assert.Equal("Production", environment["Bookstore__Profile"]);
            Assert.Equal("2048", environment["Bookstore__Cache__CompressionThresholdBytes"]);
        }
    }

    [Theory]
    [InlineData("Local", "512mb", "50")]
    [InlineData("Development", "1gb", "100")]
    [InlineData("Production", "2gb", "200")]
    public async Task ProfileSetsServerMemoryAndClientLimits(string profile, string maxMemory, string maxClients)
    {
        // One server: the container mode offers the single topology only (ReplicatedTopologyModelTests).
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=container", $"--Bookstore:Profile={profile}", "--Bookstore:Redis:Topology=single");

        var cache = Assert.IsType<RedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        var args = await builder.ArgumentsAsync(cache);
        Assert.Contains($"--maxmemory {maxMemory} --maxclients {maxClients}", args[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Local", "10", "200", "400")]
    [InlineData("Development", "10", "200", "400")]
    [InlineData("Production", "5", "100", "200")]
    public async Task ProfileSetsTheApisRateLimits(string profile, string signIns, string readsPerSecond, string burst)
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=external", "--ConnectionStrings:cache=localhost:6379", $"--Bookstore:Profile={profile}");
        string[] names = ["Bookstore__RateLimits__SignInsPerMinute", "Bookstore__RateLimits__ReadsPerSecond", "Bookstore__RateLimits__ReadBurst"];

        var api = await builder.EnvironmentAsync(Assert.Single(builder.Resources, r => r.Name == "api"), names);
        Assert.Equal([signIns, readsPerSecond, burst], names.Select(n => api[n]));
        var worker = await builder.EnvironmentAsync(Assert.Single(builder.Resources, r => r.Name == "worker"), names);
        Assert.All(names, n => Assert.Null(worker[n]));
    }

    [Fact]
    public async Task PrometheusLocalModeScrapesApiAndWorkerFromTheLocalBinary()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}",
            "--Bookstore:Prometheus:Mode=local", $"--Bookstore:Prometheus:DataDirectory={data.Path}/prometheus");

        var prometheus = Assert.IsType<ExecutableResource>(Assert.Single(builder.Resources, r => r.Name == "prometheus"));
        Assert.Equal("prometheus", prometheus.Command);
        var args = await builder.ArgumentsAsync(prometheus);
        Assert.Contains($"--config.file={data.Path}/prometheus/prometheus.yml", args);
        Assert.Contains(args, a => a.StartsWith("--web.listen-address=127.0.0.1:", StringComparison.Ordinal));
        var endpoint = Assert.Single(prometheus.Annotations.OfType<EndpointAnnotation>());
        Assert.False(endpoint.IsProxied);
        Assert.Contains(prometheus.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "api");
        // Started, not healthy: the worker turns healthy only once the cache is warm, and may never while Redis is down.
        Assert.Contains(prometheus.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "worker" && w.WaitType == WaitType.WaitUntilStarted);
        Assert.NotEmpty(prometheus.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Theory]
    [InlineData("Local", "200", "50", "15")]
    [InlineData("Development", "1000", "200", "15")]
    [InlineData("Production", "5000", "1000", "10")]
    public async Task ProfileWarmingPlanReachesTheWorkerWhoseWarmingStateIsAHealthCheck(string profile, string topBooks, string readers, string minutes)
    {
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=external", "--ConnectionStrings:cache=localhost:6379", $"--Bookstore:Profile={profile}");

        var worker = Assert.Single(builder.Resources, r => r.Name == "worker");
        var environment = await builder.EnvironmentAsync(
            worker, "Bookstore__Warming__TopBooks", "Bookstore__Warming__ActiveReaders", "Bookstore__Warming__IntervalMinutes");
        Assert.Equal(topBooks, environment["Bookstore__Warming__TopBooks"]);
        Assert.Equal(readers, environment["Bookstore__Warming__ActiveReaders"]);
        Assert.Equal(minutes, environment["Bookstore__Warming__IntervalMinutes"]);
        Assert.Contains(worker.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "worker-" + WorkerWarmingExtensions.HealthCheckName);
    }

    [Fact]
    public async Task PrometheusContainerModeMountsTheRenderedConfiguration()
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=container", "--Bookstore:Prometheus:Mode=container");

        var prometheus = Assert.IsType<ContainerResource>(Assert.Single(builder.Resources, r => r.Name == "prometheus"));
        Assert.EndsWith("prom/prometheus", Assert.Single(prometheus.Annotations.OfType<ContainerImageAnnotation>()).Image, StringComparison.Ordinal);
        Assert.Contains(prometheus.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/etc/prometheus" && m.IsReadOnly);
    }

    [Fact]
    public async Task PrometheusCanBeSwitchedOff()
    {
        await using var builder = await CreateAsync("--Bookstore:Redis:Mode=container", "--Bookstore:Prometheus:Mode=off");
        Assert.DoesNotContain(builder.Resources, r => r.Name == "prometheus");
    }

    internal static string RepositoryRoot() => RedisServer.RepositoryRoot();
}
