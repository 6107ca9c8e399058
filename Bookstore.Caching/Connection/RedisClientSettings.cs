using StackExchange.Redis;

namespace Bookstore.Caching.Connection;

/// <summary>
/// The StackExchange.Redis configuration the service's multiplexer was built with, kept so the server monitor can
/// open its admin connection to the same server without re-reading connection strings.
/// </summary>
public sealed class RedisClientSettings
{
    private ConfigurationOptions? _configuration;

    internal void Capture(ConfigurationOptions configuration) => _configuration = configuration.Clone();

    /// <summary>A copy for monitoring: admin commands (INFO, SLOWLOG, LATENCY) enabled, its own client name.</summary>
    public ConfigurationOptions ForMonitoring()
    {
        var configuration = (_configuration ?? throw new InvalidOperationException("The Redis client has not been configured yet.")).Clone();
        configuration.AllowAdmin = true;
        configuration.ClientName = (configuration.ClientName ?? "bookstore") + "-monitor";
        return configuration;
    }
}
