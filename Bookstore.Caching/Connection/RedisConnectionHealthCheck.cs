using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bookstore.Caching.Connection;

/// <summary>
/// Reports the last PING of <see cref="RedisConnectionManager"/> without a round trip of its own, so health probes
/// cost Redis nothing. Registered with <see cref="HealthStatus.Degraded"/> as its failure status: the services
/// still answer without Redis.
/// </summary>
public sealed class RedisConnectionHealthCheck(RedisConnectionManager connection) : IHealthCheck
{
    public const string Name = "redis";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = connection.Health;
        var data = new Dictionary<string, object>
        {
            ["connected"] = health.IsConnected,
            ["consecutive_failures"] = health.ConsecutiveFailures,
        };
        if (health.LastCheck is { } lastCheck)
        {
            data["last_check"] = lastCheck;
        }

        if (health.LastRoundTrip is { } roundTrip)
        {
            data["round_trip_ms"] = roundTrip.TotalMilliseconds;
        }

        return Task.FromResult(health.IsConnected
            ? HealthCheckResult.Healthy("Redis answers.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, $"Redis is not reachable: {health.LastError ?? "not connected"}", data: data));
    }
}
