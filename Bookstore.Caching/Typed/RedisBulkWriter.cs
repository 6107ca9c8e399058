using System.Text;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Internals;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace Bookstore.Caching.Typed;

/// <summary>
/// The Redis side of <see cref="CacheService.SetManyAsync{T}"/> and of clearing a persistent type. A bulk write
/// encodes each entry exactly as FusionCache's <c>SetAsync</c> would (its L2 wrapper through <see cref="CacheSerializer"/>,
/// the same timestamps and expiry) and sends, per entry, the <c>SET key value PX ms</c> that
/// <see cref="RedisStringDistributedCache"/> sends, <see cref="BatchSize"/> entries to an <see cref="IBatch"/>, a few
/// batches in flight, no round trip awaited per entry. Other replicas drop their L1 copies on one message per batch
/// (the batch's keys, on <see cref="BulkSetChannel"/>, after its SETs on the same connection) instead of one backplane
/// message per entry, which would double the commands and make every subscribed process decode one message per entry.
/// Every process with the typed cache listens on that channel (this class is also a hosted service).
/// </summary>
public sealed partial class RedisBulkWriter(
    IConnectionMultiplexer connection, CacheSerializer serializer, CacheL1Store memory, CacheMetrics metrics, TimeProvider time, ILogger<RedisBulkWriter> logger)
    : IHostedService
{
    /// <summary>The channel of bulk-write notifications: a source id line, then one key per line.</summary>
    public static readonly RedisChannel BulkSetChannel = RedisChannel.Literal(BookstoreCachingExtensions.BackplaneChannelPrefix + ":bulk-set");

    /// <summary>This process's id in its notifications, so it ignores its own (it drops its L1 copies as it writes).</summary>
    private readonly string _sourceId = Guid.NewGuid().ToString("N");

    /// <summary>Entries per pipelined batch.</summary>
    public const int BatchSize = 256;

    /// <summary>Batches sent before the oldest one's replies are awaited.</summary>
    private const int BatchesInFlight = 4;

    /// <summary>Keys per <c>UNLINK</c> when a persistent type is cleared.</summary>
    private const int UnlinkBatch = 500;

    internal async ValueTask<int> WriteAsync<T>(Target target, IReadOnlyList<CacheWrite<T>> items, Func<string, string> keyFor, CancellationToken cancellationToken)
    {
        var db = connection.GetDatabase();
        var inFlight = new Queue<Task<int>>(BatchesInFlight + 1);
        var notice = new StringBuilder(_sourceId, 32 * (BatchSize + 1));
        var written = 0;
        try
        {
            for (var start = 0; start < items.Count; start += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(BatchSize, items.Count - start);
                var batch = db.CreateBatch();
                var sets = new Task<bool>[count];
                for (var i = 0; i < count; i++)
                {
                    var item = items[start + i];
                    var key = keyFor(item.Id);
                    var entry = target.EntryFor(item.Value, item.Tags, time.GetUtcNow(), out var timeToLive);
                    sets[i] = batch.StringSetAsync(key, serializer.Serialize(entry), timeToLive);
                    notice.Append('\n').Append(key);

                    // This process's own L1 copy, if any, is older than what was just written.
                    memory.Memory.Remove(key);
                }

                // After the batch's SETs on the same connection, so a replica that drops its copy reads the new one.
                // Fire and forget, as FusionCache's own background backplane notifications are.
                _ = batch.PublishAsync(BulkSetChannel, notice.ToString(), CommandFlags.FireAndForget);
                notice.Clear().Append(_sourceId);

                if (!TryExecute(batch, target, sets))
                {
                    // Redis is unreachable: every later batch would fail the same way, at once.
                    for (var failed = start + count; failed < items.Count; failed++)
                    {
                        metrics.RecordError("set_many", "redis", target.Name);
                    }

                    break;
                }

                inFlight.Enqueue(CountWrittenAsync(target, sets));
                if (inFlight.Count >= BatchesInFlight)
                {
                    written += await inFlight.Dequeue().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Even when cancelled: the batches already sent complete, and their outcome is counted.
            while (inFlight.Count > 0)
            {
                written += await inFlight.Dequeue().ConfigureAwait(false);
            }
        }

        return written;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await connection.GetSubscriber().SubscribeAsync(BulkSetChannel, (_, message) => DropCopies(message)).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            // The multiplexer keeps the subscription and makes it again once Redis is reachable.
            LogSubscribeDeferred(ex);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await connection.GetSubscriber().UnsubscribeAsync(BulkSetChannel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Shutting down with Redis away, or after the multiplexer was closed: the subscription ends with it.
            LogUnsubscribeSkipped(ex.GetType().Name);
        }
    }

    /// <summary>Drops this process's L1 copies of the keys another process just wrote in bulk.</summary>
    internal void DropCopies(RedisValue message)
    {
        var text = (string?)message;
        if (text is null)
        {
            return;
        }

        var lines = text.AsSpan().Split('\n');
        if (!lines.MoveNext() || text.AsSpan()[lines.Current].SequenceEqual(_sourceId))
        {
            return;
        }

        while (lines.MoveNext())
        {
            memory.Memory.Remove(text[lines.Current]);
        }
    }

    /// <summary>Deletes every key starting with <paramref name="prefix"/> on every primary: SCAN and UNLINK in batches, never KEYS.</summary>
    internal async ValueTask<long> UnlinkByPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        var db = connection.GetDatabase();
        long removed = 0;
        foreach (var server in connection.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            var keys = new List<object>(UnlinkBatch);
            await foreach (var key in server.KeysAsync(db.Database, prefix + "*", UnlinkBatch).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(key);
                if (keys.Count == UnlinkBatch)
                {
                    removed += (long)await db.ExecuteAsync("UNLINK", keys).ConfigureAwait(false);
                    keys.Clear();
                }
            }

            if (keys.Count > 0)
            {
                removed += (long)await db.ExecuteAsync("UNLINK", keys).ConfigureAwait(false);
            }
        }

        return removed;
    }

    /// <summary>Sends the batch; false when no connection could take it (its entries are then counted as failed).</summary>
    private bool TryExecute(IBatch batch, Target target, Task<bool>[] sets)
    {
        try
        {
            batch.Execute();
            return true;
        }
        catch (RedisConnectionException ex)
        {
            LogBatchFailed(target.Name, ex);
            foreach (var set in sets)
            {
                // The batch's commands were failed with the same exception: observe it, count the entry.
                _ = set.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                metrics.RecordError("set_many", "redis", target.Name);
            }

            return false;
        }
    }

    private async Task<int> CountWrittenAsync(Target target, Task<bool>[] sets)
    {
        try
        {
            await Task.WhenAll(sets).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            // Counted below: the entries whose SET failed are the ones not written.
            LogBatchFailed(target.Name, ex);
        }

        var written = 0;
        foreach (var set in sets)
        {
            if (set.IsCompletedSuccessfully && set.Result)
            {
                written++;
            }
            else
            {
                metrics.RecordError("set_many", "redis", target.Name);
            }
        }

        return written;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bulk-write notifications not subscribed yet (Redis unreachable); the multiplexer subscribes on reconnect")]
    private partial void LogSubscribeDeferred(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bulk-write notifications not unsubscribed at shutdown ({Reason}); the connection's end ends them")]
    private partial void LogUnsubscribeSkipped(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk write batch of {CacheType} entries failed in Redis")]
    private partial void LogBatchFailed(string cacheType, Exception exception);

    /// <summary>One type as a bulk write target: its name (for metrics) and entry options.</summary>
    internal sealed class Target(FusionCacheEntryOptions options, string name)
    {
        public string Name { get; } = name;

        /// <summary>
        /// The L2 wrapper FusionCache's <c>SetAsync</c> stores for <paramref name="value"/> and its Redis time to live:
        /// logical expiry at the type's duration, eager-refresh point and jitter taken from the L1 duration as FusionCache
        /// does, size and priority metadata, physical expiry at the fail-safe maximum when fail-safe is on.
        /// </summary>
        public FusionCacheDistributedEntry<T> EntryFor<T>(T value, IReadOnlyList<string>? tags, DateTimeOffset now, out TimeSpan timeToLive)
        {
            var timestamp = now.UtcTicks;
            var duration = options.DistributedCacheDuration ?? options.Duration;
            var jitter = options.JitterMaxDuration > TimeSpan.Zero ? Random.Shared.NextDouble() * options.JitterMaxDuration.TotalMilliseconds : 0;
            var memoryExpiration = timestamp + (options.MemoryCacheDuration ?? options.Duration).Ticks + TimeSpan.FromMilliseconds(jitter).Ticks;
            long? eagerExpiration = options.EagerRefreshThreshold is { } threshold
                ? timestamp + (long)((memoryExpiration - timestamp) * threshold)
                : null;
            var metadata = new FusionCacheEntryMetadata(false, eagerExpiration, null, null, options.Size, (byte)options.Priority);
            var failSafeMax = options.DistributedCacheFailSafeMaxDuration ?? options.FailSafeMaxDuration;
            timeToLive = options.IsFailSafeEnabled && failSafeMax > duration ? failSafeMax : duration;
            var tagArray = tags is null or { Count: 0 } ? null : tags as string[] ?? [.. tags];
            return new FusionCacheDistributedEntry<T>(value, timestamp, timestamp + duration.Ticks, tagArray, metadata);
        }
    }
}
