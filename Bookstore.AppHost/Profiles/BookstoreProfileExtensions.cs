using System.Globalization;
using Bookstore.AppHost.Profiles;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Monitoring;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

public static class BookstoreProfileExtensions
{
    /// <summary>
    /// The profile <c>Bookstore:Profile</c> names, with the Redis server settings the configuration gives instead of the
    /// profile's: <c>Bookstore:Redis:MaxMemory</c>, <c>MaxConnections</c>, <c>EvictionPolicy</c>, <c>ServerLogLevel</c>
    /// and <c>MonitoringLevel</c>, which the seed's <c>REDIS_*</c> variables set (see <see cref="RedisEnvironmentAliases"/>).
    /// </summary>
    public static BookstoreProfile GetBookstoreProfile(this IDistributedApplicationBuilder builder)
        => BookstoreProfile.Parse(builder.Configuration[BookstoreProfile.ConfigurationKey]).WithServerSettings(builder.Configuration);

    /// <summary>
    /// Reads the seed's <c>REDIS_*</c> variables (from the AppHost's environment or command line) as the settings they stand
    /// for, as the services do: the Redis the AppHost runs gets the same port, password and server settings the services
    /// expect. A bad value stops the AppHost naming the variable.
    /// </summary>
    public static IDistributedApplicationBuilder AddRedisEnvironmentAliases(this IDistributedApplicationBuilder builder)
    {
        builder.Configuration.AddRedisEnvironmentAliases(name => builder.Configuration[name]);
        return builder;
    }

    /// <summary>
    /// Passes the profile's client-side numbers to a service as <c>Bookstore:*</c> configuration. In the replicated
    /// topology the service reads from replicas where a little staleness is fine (<c>Bookstore:Redis:PreferReplica</c>).
    /// </summary>
    public static IResourceBuilder<T> WithBookstoreProfile<T>(this IResourceBuilder<T> builder, BookstoreProfile profile)
        where T : IResourceWithEnvironment
    {
        if (profile.Topology == RedisTopology.Replicated)
        {
            builder.WithEnvironment("Bookstore__Redis__PreferReplica", "true");
        }

        return builder
            .WithEnvironment("Bookstore__Profile", profile.Name)
            .WithEnvironment("Bookstore__Cache__CompressionThresholdBytes", profile.CompressionThresholdBytes.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__Redis__MonitoringLevel", profile.Monitoring.ToString())
            .WithEnvironment("Bookstore__Redis__Topology", profile.Topology.ToString())
            .WithEnvironment("Bookstore__Telemetry__TraceSamplingRatio", profile.TraceSamplingRatio.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__Telemetry__CacheInstrumentation", profile.CacheInstrumentation ? "true" : "false");
    }

    /// <summary>Passes the profile's rate limits to the api as <c>Bookstore:RateLimits</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithRateLimits(this IResourceBuilder<ProjectResource> api, BookstoreProfile profile)
    {
        return api
            .WithEnvironment("Bookstore__RateLimits__SignInsPerMinute", profile.RateLimits.SignInsPerMinute.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__RateLimits__ReadsPerSecond", profile.RateLimits.ReadsPerSecond.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__RateLimits__ReadBurst", profile.RateLimits.ReadBurst.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The profile with each server setting <paramref name="configuration"/> gives; a bad value fails naming its setting.</summary>
    public static BookstoreProfile WithServerSettings(this BookstoreProfile profile, IConfiguration configuration)
    {
        const string section = RedisOptions.SectionName + ":";
        var maxMemory = configuration[section + nameof(RedisOptions.MaxMemory)];
        var maxClients = configuration[section + nameof(RedisOptions.MaxConnections)];
        var policy = configuration[section + nameof(RedisOptions.EvictionPolicy)];
        var logLevel = configuration[RedisEnvironmentAliases.ServerLogLevelSetting];
        var monitoring = configuration[section + nameof(RedisOptions.MonitoringLevel)];
        var topology = configuration[section + nameof(RedisOptions.Topology)];
        return profile with
        {
            Topology = string.IsNullOrWhiteSpace(topology) ? profile.Topology
                : Enum.TryParse<RedisTopology>(topology.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(topology, out _) ? parsed
                : throw Invalid(section + nameof(RedisOptions.Topology), topology, "single, replicated or cluster"),
            MaxMemory = string.IsNullOrWhiteSpace(maxMemory) ? profile.MaxMemory
                : RedisServerExpectations.ToBytes(maxMemory) is not null ? maxMemory.Trim().ToLowerInvariant()
                : throw Invalid(section + nameof(RedisOptions.MaxMemory), maxMemory, "a size such as 512mb, 1gb or 1048576"),
            MaxClients = string.IsNullOrWhiteSpace(maxClients) ? profile.MaxClients
                : int.TryParse(maxClients, NumberStyles.None, CultureInfo.InvariantCulture, out var clients) && clients is >= 1 and <= 100_000 ? clients
                : throw Invalid(section + nameof(RedisOptions.MaxConnections), maxClients, "a number of clients between 1 and 100000"),
            EvictionPolicy = string.IsNullOrWhiteSpace(policy) ? profile.EvictionPolicy
                : RedisEnvironmentAliases.EvictionPolicies.GetValueOrDefault(policy.Trim())
                  ?? throw Invalid(section + nameof(RedisOptions.EvictionPolicy), policy, "one of " + string.Join(", ", RedisEnvironmentAliases.EvictionPolicies.Keys)),
            ServerLogLevel = string.IsNullOrWhiteSpace(logLevel) ? profile.ServerLogLevel
                : RedisEnvironmentAliases.ServerLogLevels.FirstOrDefault(l => string.Equals(l, logLevel.Trim(), StringComparison.OrdinalIgnoreCase))
                  ?? throw Invalid(RedisEnvironmentAliases.ServerLogLevelSetting, logLevel, string.Join(", ", RedisEnvironmentAliases.ServerLogLevels)),
            Monitoring = string.IsNullOrWhiteSpace(monitoring) ? profile.Monitoring
                : Enum.TryParse<MonitoringLevel>(monitoring.Trim(), ignoreCase: true, out var level) && Enum.IsDefined(level) ? level
                : throw Invalid(section + nameof(RedisOptions.MonitoringLevel), monitoring, string.Join(", ", Enum.GetNames<MonitoringLevel>())),
        };
    }

    private static DistributedApplicationException Invalid(string setting, string value, string expected) =>
        new($"'{setting}' is '{value}'; expected {expected}.");
}
