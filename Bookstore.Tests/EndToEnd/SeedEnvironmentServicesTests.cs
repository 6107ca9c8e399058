using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Local;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.EndToEnd;

/// <summary>
/// The seed document's <c>.env</c> (docs/seed.env) as its users bring it: exported before the api and the worker are
/// started on their own, or before the AppHost (whose services inherit its environment). The one line changed is
/// <c>REDIS_PORT</c>, since a test cannot count on 6379 being free.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SeedEnvironmentServicesTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 240_000)]
    public async Task ApiAndWorkerStartWithTheSeedsLinesAndTheApiReadsABookThroughRedis()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = SeedEnvironment.Read();
        await using var redis = await RedisServer.StartAsync(
            "--requirepass", seed["REDIS_PASSWORD"], "--maxmemory", seed["REDIS_MAXMEMORY"], "--maxclients", seed["REDIS_MAX_CONNECTIONS"], "--maxmemory-policy", "volatile-lru");
        using var data = new TemporaryDirectory("bookstore-seed-");
        var apiUrl = $"http://127.0.0.1:{LoopbackPort.FindFree()}";
        const string adminKey = "seed-test-admin-key-0123456789";
        var environment = new Dictionary<string, string>(seed)
        {
            ["REDIS_PORT"] = redis.Port.ToString(CultureInfo.InvariantCulture),
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Bookstore__Security__AdminApiKey"] = adminKey,
        };

        await using var api = StartService("Bookstore.Api", environment, apiUrl, ("ConnectionStrings__catalog", $"Data Source={Path.Combine(data.Path, "catalog.db")}"));
        Assert.True(await api.WaitForOutputAsync("Now listening on", StartTimeout, ct), "The api did not start:\n" + api.Output);

        using var http = new HttpClient { BaseAddress = new Uri(apiUrl) };
        using (var first = await http.GetAsync(new Uri("/books/1", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.False(string.IsNullOrEmpty((await first.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("title").GetString()));
        }

        // The book went through Redis, so the api logged in with the seed's password.
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port},password={seed["REDIS_PASSWORD"]},allowAdmin=true");
        Assert.True(await admin.GetDatabase().KeyExistsAsync(CacheKeyBuilder.For(CacheService.SegmentOf(CacheType.Books), 1)));

        await using var worker = StartService(
            "Bookstore.Worker", environment, $"http://127.0.0.1:{LoopbackPort.FindFree()}", ("Bookstore__Warming__CatalogUrl", apiUrl));
        Assert.True(
            await LinuxProcesses.WaitUntilAsync(async () => await admin.GetDatabase().KeyExistsAsync(CacheKeyBuilder.ForName("worker", "heartbeat")), StartTimeout, ct),
            "The worker wrote no heartbeat to Redis:\n" + worker.Output);

        var clients = (await admin.GetServer(admin.GetEndPoints()[0]).ClientListAsync()).Select(c => c.Name).ToList();
        Assert.Contains("Bookstore.Api", clients);
        Assert.Contains("Bookstore.Worker", clients);
        foreach (var service in new[] { api, worker })
        {
            Assert.DoesNotContain(service.Lines, line => line.Contains("is not valid", StringComparison.Ordinal) || line.Contains("Unhandled exception", StringComparison.Ordinal));
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task TheAppHostRunsRedisWithTheSeedsSettingsAndItsServicesStartWithTheSeedsLines()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-seed-apphost-");
        var seed = new Dictionary<string, string>(SeedEnvironment.Read()) { ["REDIS_PORT"] = LoopbackPort.FindFreeBelowEphemeralRange().ToString(CultureInfo.InvariantCulture) };

        // The AppHost reads the variables from its environment or command line; the services inherit its environment.
        var builder = await AppHostBuilder.CreateAsync(
            ["--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--Bookstore:Prometheus:Mode=off", .. seed.Select(v => $"--{v.Key}={v.Value}")], ct);
        foreach (var service in new[] { "api", "worker" })
        {
            var resource = builder.CreateResourceBuilder<ProjectResource>(service);
            foreach (var (name, value) in seed)
            {
                resource.WithEnvironment(name, value);
            }
        }

        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct);
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        startup.CancelAfter(StartTimeout * 2);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("api", startup.Token);
        await app.ResourceNotifications.WaitForResourceAsync("worker", KnownResourceStates.Running, startup.Token);

        using var api = app.CreateHttpClient("api");
        using (var book = await api.GetAsync(new Uri("/books/1", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.OK, book.StatusCode);
        }

        // The services log in as the app user with the seed's password, on the seed's port.
        await using (var appUser = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{seed["REDIS_PORT"]},user=bookstore-app,password={seed["REDIS_PASSWORD"]}"))
        {
            Assert.True(await appUser.GetDatabase().KeyExistsAsync(CacheKeyBuilder.For(CacheService.SegmentOf(CacheType.Books), 1)));
        }

        var cache = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "cache");
        await using var admin = await Bookstore.AppHost.Redis.RedisAdminCommands.ConnectAsync((await RedisDashboardCommands.AdminConnectionString(cache).GetValueAsync(ct))!);
        var config = (await admin.GetServer(admin.GetEndPoints()[0]).ConfigGetAsync("*")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        Assert.Equal(seed["REDIS_PORT"], config["port"]);
        Assert.Equal((512L * 1024 * 1024).ToString(CultureInfo.InvariantCulture), config["maxmemory"]);
        Assert.Equal(seed["REDIS_MAX_CONNECTIONS"], config["maxclients"]);
        Assert.Equal("volatile-lru", config["maxmemory-policy"]);
        Assert.Equal(seed["REDIS_LOG_LEVEL"], config["loglevel"]);
    }

    private static ChildProcess StartService(string project, IReadOnlyDictionary<string, string> seedEnvironment, string url, params (string Name, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>(seedEnvironment) { ["ASPNETCORE_URLS"] = url };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var output = ChildProcess.OutputDirectory(project);
        return ChildProcess.StartDotnet(["exec", Path.Combine(output, project + ".dll")], output, environment);
    }
}
