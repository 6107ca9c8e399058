using System.ComponentModel.DataAnnotations;
using System.Net;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Bookstore.Tests.Unit;

/// <summary>The seed document's <c>.env</c> (docs/seed.env) read the way every service reads it, with the seed's units.</summary>
[Trait("Category", "Unit")]
public sealed class SeedEnvironmentTests
{
    private static IConfiguration FromSeed(IReadOnlyDictionary<string, string>? variables = null)
    {
        variables ??= SeedEnvironment.Read();
        return new ConfigurationBuilder().AddRedisEnvironmentAliases(name => variables.GetValueOrDefault(name)).Build();
    }

    [Fact]
    public void TheSeedFileHoldsTheSeventeenVariablesAndEveryOneIsAnAlias()
    {
        var seed = SeedEnvironment.Read();

        Assert.Equal(17, seed.Count);
        Assert.Equal(
            RedisEnvironmentAliases.All.Select(a => a.Variable).Order(StringComparer.Ordinal),
            seed.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheSeedsLinesGiveValidSettingsWithTimeoutsInSeconds()
    {
        var configuration = FromSeed();
        var redis = configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>()!;
        var cache = configuration.GetSection(CacheOptions.SectionName).Get<CacheOptions>()!;

        AssertValid(redis);
        AssertValid(cache);
        Assert.Equal(5_000, redis.ConnectTimeoutMs);
        Assert.Equal(5_000, redis.OperationTimeoutMs);
        Assert.Equal(TimeSpan.FromSeconds(30), redis.HealthCheckInterval);
        Assert.Equal(("localhost", 6379, 0), (redis.Host, redis.Port, redis.Database));
        Assert.Equal(("512mb", 50, "volatile-lru"), (redis.MaxMemory, redis.MaxConnections, redis.EvictionPolicy));
        Assert.Equal((true, true, 1024, 3600, true), (cache.EnableCompression, cache.EnableSerialization, cache.CompressionThresholdBytes, cache.DefaultTtlSeconds, cache.EnableMetrics));
        Assert.True(redis.EnableMonitoring);
    }

    [Fact]
    public void TheSeedsPasswordAndTimeoutsReachTheRedisClient()
    {
        var seed = SeedEnvironment.Read();
        var redis = FromSeed(seed).GetSection(RedisOptions.SectionName).Get<RedisOptions>()!;

        // What AddBookstoreRedis does when no connection string is given: the endpoint from REDIS_HOST and REDIS_PORT.
        var client = ConfigurationOptions.Parse(RedisClientConfiguration.ConnectionStringFrom(redis)!);
        RedisClientConfiguration.Apply(client, redis, "Bookstore.Api");

        Assert.Equal(seed["REDIS_PASSWORD"], client.Password);
        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(client.EndPoints));
        Assert.Equal(("localhost", 6379), (endpoint.Host, endpoint.Port));
        Assert.Equal((5_000, 5_000, 5_000), (client.ConnectTimeout, client.SyncTimeout, client.AsyncTimeout));
    }

    [Fact]
    public void TheSeedsLogLevelIsTheServersAndLeavesTheServicesLoggingAlone()
    {
        var configuration = FromSeed();

        Assert.Equal("notice", configuration[RedisEnvironmentAliases.ServerLogLevelSetting]);
        Assert.DoesNotContain(configuration.AsEnumerable(), pair => pair.Key.StartsWith("Logging", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("5", 5_000)]
    [InlineData("5s", 5_000)]
    [InlineData("5000ms", 5_000)]
    [InlineData("0.5", 500)]
    [InlineData(" 2.5 s ", 2_500)]
    [InlineData("120", 120_000)]
    public void ATimeoutIsSecondsUnlessItsUnitSaysOtherwise(string value, int milliseconds)
    {
        var configuration = FromSeed(new Dictionary<string, string> { ["REDIS_CONNECTION_TIMEOUT"] = value, ["REDIS_SOCKET_TIMEOUT"] = value.Replace("120", "60", StringComparison.Ordinal) });

        Assert.Equal(milliseconds, configuration.GetValue<int>("Bookstore:Redis:ConnectTimeoutMs"));
        Assert.Equal(Math.Min(milliseconds, 60_000), configuration.GetValue<int>("Bookstore:Redis:OperationTimeoutMs"));
    }

    [Fact]
    public void MillisecondsWithoutTheirUnitFailNamingTheVariableAndTheUnit()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FromSeed(new Dictionary<string, string> { ["REDIS_SOCKET_TIMEOUT"] = "5000" }));

        Assert.StartsWith("REDIS_SOCKET_TIMEOUT='5000' is not valid: expected seconds between 0.05 and 60", error.Message, StringComparison.Ordinal);
        Assert.Contains("5s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyVariableCountsAsNotSet()
    {
        var configuration = FromSeed(new Dictionary<string, string> { ["REDIS_PASSWORD"] = string.Empty, ["REDIS_HOST"] = " " });

        Assert.Null(configuration["Bookstore:Redis:Password"]);
        Assert.Null(configuration["Bookstore:Redis:Host"]);
    }

    private static void AssertValid(object options)
    {
        var results = new List<ValidationResult>();
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true), string.Join("; ", results));
    }
}
