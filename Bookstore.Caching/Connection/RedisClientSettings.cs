using Bookstore.Caching.Configuration;
using StackExchange.Redis;

namespace Bookstore.Caching.Connection;

/// <summary>
/// The StackExchange.Redis configuration the service's multiplexer was built with, kept so the server monitor can
/// open its admin connection to the same server without re-reading connection strings.
/// </summary>
public sealed class RedisClientSettings
{
    private ConfigurationOptions? _configuration;

    /// <summary>
    /// <c>ConnectionStrings:{name}-monitor</c>: the server monitor's own identity (the ACL user <c>bookstore-monitor</c>,
    /// which may read INFO, SLOWLOG and LATENCY and nothing else). Without it the monitor uses the service's credentials.
    /// </summary>
    public string? MonitorConnectionString { get; init; }

    /// <summary>How Redis is deployed (<c>Bookstore:Redis:Topology</c>): in a cluster the monitor discovers every node too.</summary>
    public RedisTopology Topology { get; init; }

    /// <summary>
    /// Whether a Redis was named (<c>ConnectionStrings:{name}</c>, Aspire's client settings or <c>REDIS_HOST</c>). A service
    /// started without one (a command-line import) must not ask for the multiplexer, which cannot be built without endpoints.
    /// </summary>
    public bool IsConfigured { get; internal set; }

    internal void Capture(ConfigurationOptions configuration) => _configuration = configuration.Clone();

    /// <summary>The service's own configuration (endpoints, credentials, timeouts), once the multiplexer was configured.</summary>
    internal ConfigurationOptions? Service => _configuration;

    /// <summary>A configuration for monitoring: admin commands (INFO, SLOWLOG, LATENCY) enabled, its own client name.</summary>
    public ConfigurationOptions ForMonitoring()
    {
        var service = _configuration ?? throw new InvalidOperationException("The Redis client has not been configured yet.");
        ConfigurationOptions configuration;
        if (string.IsNullOrWhiteSpace(MonitorConnectionString))
        {
            configuration = service.Clone();
        }
        else
        {
            // Endpoint and credentials from the monitor's connection string; timeouts and retry as the service's.
            configuration = ConfigurationOptions.Parse(MonitorConnectionString);
            configuration.AbortOnConnectFail = service.AbortOnConnectFail;
            configuration.ConnectTimeout = service.ConnectTimeout;
            configuration.SyncTimeout = service.SyncTimeout;
            configuration.AsyncTimeout = service.AsyncTimeout;
            configuration.ReconnectRetryPolicy = service.ReconnectRetryPolicy;
            configuration.BacklogPolicy = service.BacklogPolicy;
            configuration.TieBreaker = service.TieBreaker;
            configuration.ConfigurationChannel = service.ConfigurationChannel;
        }

        if (string.IsNullOrEmpty(service.TieBreaker) && string.IsNullOrEmpty(service.ConfigurationChannel))
        {
            // The service connects the least-privilege way; the monitor likewise, except that INFO is its job.
            RedisClientConfiguration.RestrictHandshake(
                configuration, RedisClientConfiguration.Lacking(RedisClientConfiguration.ServerCommandsTheMonitorUserLacks, Topology, configuration.ServiceName));
        }

        configuration.AllowAdmin = true;
        configuration.ClientName = (service.ClientName ?? "bookstore") + "-monitor";
        return configuration;
    }
}
