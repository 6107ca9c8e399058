using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Configuration;

namespace Bookstore.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class RedisEnvironmentAliasesTests
{
    [Theory]
    [InlineData("REDIS_HOST", "redis.internal", "Bookstore:Redis:Host", "redis.internal")]
    [InlineData("REDIS_PORT", "6380", "Bookstore:Redis:Port", "6380")]
    [InlineData("REDIS_DB", "3", "Bookstore:Redis:Database", "3")]
    [InlineData("REDIS_PASSWORD", "pa55", "Bookstore:Redis:Password", "pa55")]
    [InlineData("REDIS_MAXMEMORY", "512MB", "Bookstore:Redis:MaxMemory", "512mb")]
    [InlineData("REDIS_MAX_CONNECTIONS", "200", "Bookstore:Redis:MaxConnections", "200")]
    [InlineData("REDIS_CONNECTION_TIMEOUT", "3", "Bookstore:Redis:ConnectTimeoutMs", "3000")]
    [InlineData("REDIS_SOCKET_TIMEOUT", "750ms", "Bookstore:Redis:OperationTimeoutMs", "750")]
    [InlineData("REDIS_HEALTH_CHECK_INTERVAL", "15", "Bookstore:Redis:HealthCheckIntervalSeconds", "15")]
    [InlineData("REDIS_ENABLE_COMPRESSION", "false", "Bookstore:Cache:EnableCompression", "false")]
    [InlineData("REDIS_ENABLE_SERIALIZATION", "1", "Bookstore:Cache:EnableSerialization", "true")]
    [InlineData("REDIS_COMPRESSION_THRESHOLD", "2048", "Bookstore:Cache:CompressionThresholdBytes", "2048")]
    [InlineData("REDIS_CACHE_STRATEGY", "lfu", "Bookstore:Redis:EvictionPolicy", "volatile-lfu")]
    [InlineData("REDIS_DEFAULT_TTL", "3600", "Bookstore:Cache:DefaultTtlSeconds", "3600")]
    [InlineData("REDIS_ENABLE_MONITORING", "no", "Bookstore:Redis:EnableMonitoring", "false")]
    [InlineData("REDIS_ENABLE_METRICS", "true", "Bookstore:Cache:EnableMetrics", "true")]
    [InlineData("REDIS_LOG_LEVEL", "Warning", "Bookstore:Redis:ServerLogLevel", "warning")]
    public void AliasReachesItsSetting(string variable, string value, string setting, string expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddRedisEnvironmentAliases(name => name == variable ? value : null)
            .Build();

        Assert.Equal(expected, configuration[setting]);
    }

    [Fact]
    public void EveryAliasIsTestedAndMapsToOneDistinctSetting()
    {
        Assert.Equal(17, RedisEnvironmentAliases.All.Count);
        Assert.Equal(RedisEnvironmentAliases.All.Count, RedisEnvironmentAliases.All.Select(a => a.Setting).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(RedisEnvironmentAliases.All, a => Assert.StartsWith("REDIS_", a.Variable, StringComparison.Ordinal));
    }

    [Fact]
    public void RedisOptionsBindFromTheAliases()
    {
        var variables = new Dictionary<string, string>
        {
            ["REDIS_PORT"] = "6390",
            ["REDIS_SOCKET_TIMEOUT"] = "1.5",
            ["REDIS_HEALTH_CHECK_INTERVAL"] = "7",
            ["REDIS_CACHE_STRATEGY"] = "allkeys-lru",
        };
        var options = new ConfigurationBuilder()
            .AddRedisEnvironmentAliases(name => variables.GetValueOrDefault(name))
            .Build()
            .GetSection(RedisOptions.SectionName).Get<RedisOptions>()!;

        Assert.Equal(6390, options.Port);
        Assert.Equal(1500, options.OperationTimeoutMs);
        Assert.Equal(7, options.HealthCheckIntervalSeconds);
        Assert.Equal("allkeys-lru", options.EvictionPolicy);
    }

    [Fact]
    public void EveryAliasReachesItsBoundOption()
    {
        var variables = new Dictionary<string, string>
        {
            ["REDIS_HOST"] = "redis.internal",
            ["REDIS_PORT"] = "6381",
            ["REDIS_DB"] = "2",
            ["REDIS_PASSWORD"] = "pa55",
            ["REDIS_MAXMEMORY"] = "1gb",
            ["REDIS_MAX_CONNECTIONS"] = "150",
            ["REDIS_CONNECTION_TIMEOUT"] = "2.5s",
            ["REDIS_SOCKET_TIMEOUT"] = "900ms",
            ["REDIS_HEALTH_CHECK_INTERVAL"] = "5",
            ["REDIS_ENABLE_COMPRESSION"] = "false",
            ["REDIS_ENABLE_SERIALIZATION"] = "false",
            ["REDIS_COMPRESSION_THRESHOLD"] = "4096",
            ["REDIS_CACHE_STRATEGY"] = "ttl",
            ["REDIS_DEFAULT_TTL"] = "120",
            ["REDIS_ENABLE_MONITORING"] = "false",
            ["REDIS_ENABLE_METRICS"] = "off",
            ["REDIS_LOG_LEVEL"] = "verbose",
        };
        var configuration = new ConfigurationBuilder().AddRedisEnvironmentAliases(name => variables.GetValueOrDefault(name)).Build();
        var redis = configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>()!;
        var cache = configuration.GetSection(CacheOptions.SectionName).Get<CacheOptions>()!;

        Assert.Equal("redis.internal", redis.Host);
        Assert.Equal(6381, redis.Port);
        Assert.Equal(2, redis.Database);
        Assert.Equal("pa55", redis.Password);
        Assert.Equal("1gb", redis.MaxMemory);
        Assert.Equal(150, redis.MaxConnections);
        Assert.Equal(2500, redis.ConnectTimeoutMs);
        Assert.Equal(900, redis.OperationTimeoutMs);
        Assert.Equal(5, redis.HealthCheckIntervalSeconds);
        Assert.Equal("volatile-ttl", redis.EvictionPolicy);
        Assert.False(redis.EnableMonitoring);
        Assert.False(cache.EnableCompression);
        Assert.False(cache.EnableSerialization);
        Assert.Equal(4096, cache.CompressionThresholdBytes);
        Assert.Equal(120, cache.DefaultTtlSeconds);
        Assert.False(cache.EnableMetrics);
        Assert.Equal("verbose", configuration["Bookstore:Redis:ServerLogLevel"]);
    }

    [Theory]
    [InlineData("REDIS_PORT", "abc")]
    [InlineData("REDIS_PORT", "70000")]
    [InlineData("REDIS_DB", "16")]
    [InlineData("REDIS_ENABLE_COMPRESSION", "maybe")]
    [InlineData("REDIS_MAXMEMORY", "lots")]
    [InlineData("REDIS_CACHE_STRATEGY", "fifo")]
    [InlineData("REDIS_SOCKET_TIMEOUT", "-5")]
    [InlineData("REDIS_LOG_LEVEL", "chatty")]
    [InlineData("REDIS_LOG_LEVEL", "Information")]
    [InlineData("REDIS_CONNECTION_TIMEOUT", "3000")]
    [InlineData("REDIS_CONNECTION_TIMEOUT", "5 minutes")]
    [InlineData("REDIS_HEALTH_CHECK_INTERVAL", "1500ms")]
    [InlineData("REDIS_HOST", "a,b")]
    public void BadValueFailsNamingTheVariable(string variable, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new ConfigurationBuilder().AddRedisEnvironmentAliases(name => name == variable ? value : null));

        Assert.StartsWith($"{variable}=", error.Message, StringComparison.Ordinal);
    }
}
