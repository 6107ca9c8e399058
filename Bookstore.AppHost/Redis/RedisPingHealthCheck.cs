using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The <c>cache</c> resource's health: a PING over the connection string the services get, trusting the TLS CA when TLS
/// is on (the packaged Redis check takes only a connection string, which cannot carry a CA). One connection, opened at
/// the first check and reopened after a failed connect. <paramref name="ping"/> chooses where the PING goes (the
/// replicated topology: to the primary through the Sentinels, or to one node whatever its role); by default, where
/// StackExchange.Redis sends a PING. <paramref name="configure"/> adjusts what the connection string cannot say (a
/// Sentinel's command map).
/// </summary>
internal sealed class RedisPingHealthCheck(
    string resourceName,
    Func<string?> connectionString,
    RedisTlsSettings? tls,
    Func<IConnectionMultiplexer, Task>? ping = null,
    Action<ConfigurationOptions>? configure = null) : IHealthCheck
{
    private Task<ConnectionMultiplexer>? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (connectionString() is not { } text)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The '{resourceName}' connection string is not known until redis-server starts.");
        }

        var connecting = _connection ??= ConnectAsync(text);
        try
        {
            var connection = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
            await (ping is null ? connection.GetDatabase().PingAsync() : ping(connection)).WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (connecting.IsFaulted)
            {
                _ = Interlocked.CompareExchange(ref _connection, null, connecting);
            }

            return new HealthCheckResult(context.Registration.FailureStatus, $"'{resourceName}' did not answer PING.", ex);
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync(string text)
    {
        var options = ConfigurationOptions.Parse(text);
        tls?.ApplyTrust(options);
        configure?.Invoke(options);
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
