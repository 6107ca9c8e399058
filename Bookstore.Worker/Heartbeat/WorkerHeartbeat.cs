using System.Globalization;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;

namespace Bookstore.Worker.Heartbeat;

/// <summary>
/// Writes <c>bookstore:v1:worker:heartbeat</c> (the time of the last beat, expiring after three intervals)
/// so an operator can see in Redis that a worker is alive and connected.
/// </summary>
internal sealed partial class WorkerHeartbeat(IRedisService redis, ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    internal static readonly string Key = CacheKeyBuilder.ForName("worker", "heartbeat");
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            if (!await redis.SetAsync(Key, now, Interval * 3, stoppingToken))
            {
                LogHeartbeatFailed();
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker heartbeat could not be written to Redis; the cause is logged by RedisService")]
    private partial void LogHeartbeatFailed();
}
