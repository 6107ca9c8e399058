using System.Net.Sockets;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Bookstore.AppHost.Profiles;
using Bookstore.Caching.Configuration;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Bookstore.Tests.Infrastructure;

/// <summary>
/// The Redis server settings of the seed's <c>REDIS_*</c> variables where the AppHost runs Redis: on the app model
/// (container mode, no engine needed) and on a real redis-server started from the configuration the AppHost renders.
/// </summary>
[Trait("Category", "Infrastructure")]
public sealed class AppHostServerSettingsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(args, Token);

    private static async Task<string> ContainerCommandAsync(params string[] args)
    {
        // One server: the container mode offers the single topology only (ReplicatedTopologyModelTests).
        await using var builder = await CreateAsync(["--Bookstore:Redis:Mode=container", "--Bookstore:Redis:Topology=single", "--Bookstore:Prometheus:Mode=off", .. args]);
        var cache = Assert.IsType<RedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        return (await builder.ArgumentsAsync(cache))[1];
    }

    /// <summary>The profile as the AppHost resolves it (AppHost.cs: the aliases, then the profile with its overrides).</summary>
    private static BookstoreProfile ResolveProfile(IReadOnlyDictionary<string, string> variables, string profile = "Local")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
        var withAliases = new ConfigurationBuilder().AddConfiguration(configuration).AddRedisEnvironmentAliases(name => configuration[name]).Build();
        return BookstoreProfile.Parse(profile).WithServerSettings(withAliases);
    }

    [Theory]
    [InlineData("Local", "512mb", "50")]
    [InlineData("Development", "1gb", "100")]
    [InlineData("Production", "2gb", "200")]
    public async Task WithoutTheVariablesTheProfileDecidesAndThePolicyIsVolatileLru(string profile, string maxMemory, string maxClients)
    {
        var command = await ContainerCommandAsync($"--Bookstore:Profile={profile}");

        Assert.Contains($"--maxmemory {maxMemory} --maxclients {maxClients}", command, StringComparison.Ordinal);
        Assert.Contains("--maxmemory-policy volatile-lru", command, StringComparison.Ordinal);
        Assert.Contains("--loglevel notice", command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheVariablesSetTheServerTheAppHostRuns()
    {
        var command = await ContainerCommandAsync(
            "--Bookstore:Profile=Production", "--REDIS_MAXMEMORY=256MB", "--REDIS_MAX_CONNECTIONS=75", "--REDIS_CACHE_STRATEGY=lfu", "--REDIS_LOG_LEVEL=warning");

        Assert.Contains("--maxmemory 256mb --maxclients 75", command, StringComparison.Ordinal);
        Assert.Contains("--maxmemory-policy volatile-lfu", command, StringComparison.Ordinal);
        Assert.Contains("--loglevel warning", command, StringComparison.Ordinal);
        Assert.DoesNotContain("2gb", command, StringComparison.Ordinal);

        // Production stays Production: its commands are still renamed away although its numbers were overridden.
        Assert.Contains("--rename-command FLUSHALL ''", command, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lru", "volatile-lru")]
    [InlineData("lfu", "volatile-lfu")]
    [InlineData("ttl", "volatile-ttl")]
    [InlineData("allkeys-lru", "allkeys-lru")]
    public void TheCacheStrategyChoosesTheEvictionPolicy(string strategy, string policy)
    {
        Assert.Equal(policy, ResolveProfile(new Dictionary<string, string> { ["REDIS_CACHE_STRATEGY"] = strategy }).EvictionPolicy);
    }

    [Fact]
    public async Task ABadValueStopsTheAppHostNamingTheVariable()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=container", "--REDIS_LOG_LEVEL=info"));

        Assert.Contains("REDIS_LOG_LEVEL='info' is not valid: expected a Redis server log level: debug, verbose, notice, warning", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortAndPasswordGivenToTheServicesAreTheOnesOfTheRedisTheAppHostRuns()
    {
        using var data = new TemporaryDirectory("bookstore-model-");
        await using var builder = await CreateAsync(
            "--Bookstore:Redis:Mode=local", $"--Bookstore:Redis:DataDirectory={data.Path}", "--REDIS_PORT=16397", "--REDIS_PASSWORD=your_secure_password", "--REDIS_HOST=localhost");

        var cache = Assert.IsType<LocalRedisResource>(Assert.Single(builder.Resources, r => r.Name == "cache"));
        Assert.Equal(16397, Assert.Single(cache.Annotations.OfType<EndpointAnnotation>()).Port);
        Assert.Equal("your_secure_password", await cache.PasswordParameter.GetValueAsync(Token));
    }

    [Fact]
    public async Task ARedisHostElsewhereStopsTheAppHostThatRunsItsOwnRedis()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => CreateAsync("--Bookstore:Redis:Mode=local", "--REDIS_HOST=redis.internal"));

        Assert.Contains("REDIS_HOST ('Bookstore:Redis:Host') is 'redis.internal'", Flatten(error), StringComparison.Ordinal);
        Assert.Contains("Bookstore:Redis:Mode=external", Flatten(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Local", null, "Basic")]
    [InlineData("Development", null, "Full")]
    [InlineData("Production", null, "FullWithAlerts")]
    [InlineData("Local", "Full", "Full")]
    [InlineData("Production", "basic", "Basic")]
    public async Task TheMonitoringLevelComesFromTheProfileOrTheConfiguration(string profile, string? configured, string expected)
    {
        string[] args = configured is null
            ? ["--Bookstore:Redis:Mode=container", "--Bookstore:Redis:Topology=single", $"--Bookstore:Profile={profile}"]
            : ["--Bookstore:Redis:Mode=container", "--Bookstore:Redis:Topology=single", $"--Bookstore:Profile={profile}", $"--Bookstore:Redis:MonitoringLevel={configured}"];
        await using var builder = await CreateAsync(args);

        foreach (var name in new[] { "api", "worker" })
        {
            var environment = await builder.EnvironmentAsync(Assert.Single(builder.Resources, r => r.Name == name), "Bookstore__Redis__MonitoringLevel");
            Assert.Equal(expected, environment["Bookstore__Redis__MonitoringLevel"]);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task TheServerStartedFromTheRenderedConfigurationRunsWithTheVariablesSettings()
    {
        var ct = TestContext.Current.CancellationToken;
        var profile = ResolveProfile(new Dictionary<string, string>
        {
            ["REDIS_MAXMEMORY"] = "2mb",
            ["REDIS_MAX_CONNECTIONS"] = "4",
            ["REDIS_CACHE_STRATEGY"] = "ttl",
            ["REDIS_LOG_LEVEL"] = "verbose",
        });
        await using var server = await RedisServer.StartWithUsersAsync(profile);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true");
        var redis = admin.GetServer(admin.GetEndPoints()[0]);

        var config = (await redis.ConfigGetAsync("*")).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        Assert.Equal("2097152", config["maxmemory"]);
        Assert.Equal("4", config["maxclients"]);
        Assert.Equal("volatile-ttl", config["maxmemory-policy"]);
        Assert.Equal("verbose", config["loglevel"]);

        // maxmemory with a volatile policy: keys with a TTL are evicted (shortest TTL first), keys without one never are,
        // so once only those are left a write is refused.
        var db = admin.GetDatabase();
        var value = new string('x', 64 * 1024);
        await db.StringSetAsync("bookstore:v1:persistent:kept", "kept");
        RedisServerException? refused = null;
        for (var i = 0; i < 200 && refused is null; i++)
        {
            try
            {
                await db.StringSetAsync($"bookstore:v1:ttl:{i}", value, TimeSpan.FromHours(1 + i));
                await db.StringSetAsync($"bookstore:v1:persistent:{i}", value);
            }
            catch (RedisServerException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.StartsWith("OOM", refused.Message, StringComparison.Ordinal);
        Assert.Equal("kept", await db.StringGetAsync("bookstore:v1:persistent:kept"));
        Assert.True((await redis.InfoAsync("stats")).SelectMany(g => g).Single(p => p.Key == "evicted_keys").Value != "0", "No key with a TTL was evicted.");
        Assert.True(await db.KeyExistsAsync("bookstore:v1:persistent:0"), "A key without a TTL was evicted.");

        // maxclients: the admin multiplexer holds two connections; the server takes two more and refuses the next.
        var connected = long.Parse((await redis.InfoAsync("clients")).SelectMany(g => g).Single(p => p.Key == "connected_clients").Value, System.Globalization.CultureInfo.InvariantCulture);
        var sockets = new List<TcpClient>();
        try
        {
            string? reply = null;
            for (var i = connected; i <= 4 && reply is null; i++)
            {
                var socket = new TcpClient();
                sockets.Add(socket);
                await socket.ConnectAsync("127.0.0.1", server.Port, ct);
                var stream = socket.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), ct);
                var buffer = new byte[256];
                var read = await stream.ReadAsync(buffer, ct);
                var answer = Encoding.ASCII.GetString(buffer, 0, read);
                reply = answer.Contains("max number of clients", StringComparison.Ordinal) ? answer : null;
            }

            Assert.NotNull(reply);
            Assert.Equal(4 - connected + 1, sockets.Count);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    private static string Flatten(Exception error) =>
        error.InnerException is null ? error.Message : error.Message + " | " + Flatten(error.InnerException);
}
