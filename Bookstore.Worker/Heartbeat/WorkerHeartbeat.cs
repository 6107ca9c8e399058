using System.Globalization;
using Bookstore.Caching.Keys;
using StackExchange.Redis;

namespace Bookstore.Worker.Heartbeat;

/// <summary>
/// Writes <c>bookstore:v1:worker:heartbeat</c> (the time of the last beat, expiring after three intervals)
/// so an operator can see in Redis that a worker is alive and connected.
/// </summary>
internal sealed partial class WorkerHeartbeat(IConnectionMultiplexer redis, ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    internal static readonly string Key = CacheKeyBuilder.ForName("worker", "heartbeat");
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
                await redis.GetDatabase().StringSetAsync(Key, now, Interval * 3).WaitAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogHeartbeatFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker heartbeat could not be written to Redis")]
    private partial void LogHeartbeatFailed(Exception exception);
}
