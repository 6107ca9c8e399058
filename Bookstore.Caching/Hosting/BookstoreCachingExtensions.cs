using System.ComponentModel.DataAnnotations;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class BookstoreCachingExtensions
{
    /// <summary>
    /// Redis for a Bookstore service: Aspire's Redis client (the process's one multiplexer) configured from
    /// <c>Bookstore:Redis</c> and the <c>REDIS_*</c> aliases, the connection manager, serializer, metrics,
    /// <see cref="IRedisService"/> and a Degraded-on-failure health check. Invalid settings fail here, at start.
    /// </summary>
    public static IHostApplicationBuilder AddBookstoreRedis(this IHostApplicationBuilder builder, string connectionName = "cache")
    {
        builder.Configuration.AddRedisEnvironmentAliases();

        var redisOptions = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        ValidateNow(redisOptions, RedisOptions.SectionName);

        builder.Services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CacheSerializerOptions>().BindConfiguration(CacheSerializerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        builder.AddRedisClient(
            connectionName,
            settings =>
            {
                // Our health check reports Degraded from the connection manager's PING; Aspire's would report Unhealthy.
                settings.DisableHealthChecks = true;
                settings.ConnectionString ??= RedisClientConfiguration.ConnectionStringFrom(redisOptions);
            },
            configuration => RedisClientConfiguration.Apply(configuration, redisOptions, builder.Environment.ApplicationName));

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<CacheMetrics>();
        builder.Services.TryAddSingleton<CacheSerializer>();
        builder.Services.TryAddSingleton<RedisConnectionManager>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisConnectionManager>());
        builder.Services.TryAddSingleton<IRedisService, RedisService>();
        builder.Services.AddHealthChecks().AddCheck<RedisConnectionHealthCheck>(
            RedisConnectionHealthCheck.Name, HealthStatus.Degraded, ["ready", "redis"]);

        return builder;
    }

    private static void ValidateNow(object options, string section)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException(
                $"Invalid '{section}' settings: " + string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")));
        }
    }
}
