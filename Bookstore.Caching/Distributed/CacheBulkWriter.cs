using System.Diagnostics;
using Bookstore.Caching.Backplane;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace Bookstore.Caching.Distributed;

/// <summary>
/// The Redis side of <see cref="CacheService.SetManyAsync{T}"/>: every entry through the type's FusionCache
/// (<c>SetAsync</c>, so FusionCache builds and serializes its own L2 entry as it always does), while
/// <see cref="RedisStringDistributedCache.CollectWrites"/> queues the resulting SETs, <see cref="BulkWritePolicy.BatchSize"/>
/// to a batch sent in one write: no round trip awaited per entry, and FusionCache's calls complete at once instead of
/// resuming one continuation chain per reply. Each entry's outcome is read from its SET's reply and counted;
/// FusionCache's one backplane message per entry is replaced by one <see cref="L1DropChannel"/> message per batch, sent
/// once the batch is acknowledged; this process's own L1 copies of the batch's keys are dropped then too.
/// </summary>
public sealed partial class CacheBulkWriter
{
    private readonly IConnectionMultiplexer _connection;
    private readonly RedisStringDistributedCache _level2;
    private readonly BulkWritePolicy _policy;
    private readonly L1DropChannel _channel;
    private readonly CacheL1Store _memory;
    private readonly CacheMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<CacheBulkWriter> _logger;
    private long _pauses;

    internal CacheBulkWriter(
        IConnectionMultiplexer connection,
        RedisStringDistributedCache level2,
        BulkWritePolicy policy,
        L1DropChannel channel,
        CacheL1Store memory,
        CacheMetrics metrics,
        TimeProvider time,
        ILogger<CacheBulkWriter> logger)
    {
        policy.Validate();
        _connection = connection;
        _level2 = level2;
        _policy = policy;
        _channel = channel;
        _memory = memory;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Pauses bulk writes took because Redis answered slowly or refused entries (since start).</summary>
    internal long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>
    /// The entry options of a bulk write of a type: its own, with no L1 write (a warming process does not read what it
    /// writes), no backplane message per entry, the L2 write awaited and its failure thrown (so it is counted).
    /// </summary>
    public static FusionCacheEntryOptions OptionsFor(FusionCacheEntryOptions typeOptions)
    {
        var options = typeOptions.Duplicate();
        options.SkipMemoryCacheWrite = true;
        options.SkipBackplaneNotifications = true;
        options.AllowBackgroundDistributedCacheOperations = false;
        options.ReThrowDistributedCacheExceptions = true;
        return options;
    }

    /// <summary>Writes <paramref name="items"/>; returns how many Redis acknowledged. Cancelled: the batches sent complete and are counted first.</summary>
    public async ValueTask<int> WriteAsync<T>(
        IFusionCache cache, FusionCacheEntryOptions options, string typeName, IReadOnlyList<CacheWrite<T>> items, Func<string, string> keyFor,
        CancellationToken cancellationToken)
    {
        var inFlight = new Queue<Batch>(_policy.BatchesInFlight + 1);
        var written = 0;
        var slowLogged = false;
        try
        {
            for (var start = 0; start < items.Count && !cancellationToken.IsCancellationRequested; start += _policy.BatchSize)
            {
                var count = Math.Min(_policy.BatchSize, items.Count - start);
                var batch = new Batch(new Task<bool>[count], new string[count]);
                using (var pending = _level2.CollectWrites())
                {
                    for (var i = 0; i < count; i++)
                    {
                        var item = items[start + i];
                        var key = keyFor(item.Id);
                        batch.Keys[i] = key;
                        batch.Sets[i] = Set(cache, key, item.Value, options, item.Tags, pending);
                    }

                    pending.Send();
                }

                inFlight.Enqueue(batch);
                if (inFlight.Count < _policy.BatchesInFlight)
                {
                    continue;
                }

                var waitStarted = Stopwatch.GetTimestamp();
                var ok = await CompleteAsync(inFlight.Dequeue(), typeName).ConfigureAwait(false);
                written += ok;
                if (ok == 0 && !_connection.IsConnected)
                {
                    // Redis is unreachable: every later batch would fail the same way, at once.
                    CountUnsent(typeName, items.Count - start - count);
                    break;
                }

                var pause = _policy.PauseAfter(Stopwatch.GetElapsedTime(waitStarted), refused: ok < batch.Sets.Length);
                if (pause > TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _pauses);
                    if (!slowLogged)
                    {
                        slowLogged = true;
                        LogPacing(typeName, Stopwatch.GetElapsedTime(waitStarted).TotalMilliseconds, ok < batch.Sets.Length, pause.TotalMilliseconds);
                    }

                    // A cancelled pause ends the write at the next batch, which checks the token.
                    await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            while (inFlight.Count > 0)
            {
                written += await CompleteAsync(inFlight.Dequeue(), typeName).ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return written;
    }

    /// <summary>
    /// One entry through FusionCache; the task of its SET's reply. A value the serializer refuses fails at once (counted);
    /// a call that did not complete at once (not expected: the L2 write only queues) is awaited on its own.
    /// </summary>
    private Task<bool> Set<T>(
        IFusionCache cache, string key, T value, FusionCacheEntryOptions options, IReadOnlyList<string>? tags, RedisStringDistributedCache.PendingWrites pending)
    {
        var queued = pending.Count;
        ValueTask call;
        try
        {
            // Not the caller's token: an entry started is finished, so its outcome is known.
            call = cache.SetAsync(key, value, options, tags, CancellationToken.None);
        }
        catch (Exception ex) when (ex is FusionCacheSerializationException or FusionCacheDistributedCacheException)
        {
            LogEntryFailed(key, ex);
            return NotWritten;
        }

        if (!call.IsCompletedSuccessfully)
        {
            return CompleteAloneAsync(call, key);
        }

        return pending.Count == queued + 1 ? pending[queued] : NotWritten;
    }

    private async Task<bool> CompleteAloneAsync(ValueTask call, string key)
    {
        try
        {
            await call.ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is FusionCacheDistributedCacheException or FusionCacheSerializationException or RedisException or TimeoutException)
        {
            LogEntryFailed(key, ex);
            return false;
        }
    }

    /// <summary>Awaits a batch, counts its failed entries, drops L1 copies of its keys here and (one message) everywhere else.</summary>
    private async Task<int> CompleteAsync(Batch batch, string typeName)
    {
        try
        {
            await Task.WhenAll(batch.Sets).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            // Counted below: the entries whose SET failed are the ones not written.
            LogBatchFailed(typeName, ex);
        }

        var written = 0;
        var keys = new List<string>(batch.Sets.Length);
        var dropOwnCopies = _memory.Memory.Count > 0;
        for (var i = 0; i < batch.Sets.Length; i++)
        {
            if (!batch.Sets[i].IsCompletedSuccessfully || !batch.Sets[i].Result)
            {
                _metrics.RecordError("set_many", "redis", typeName);
                continue;
            }

            written++;
            keys.Add(batch.Keys[i]);
            if (dropOwnCopies)
            {
                DropOwnCopy(batch.Keys[i]);
            }
        }

        if (written < batch.Sets.Length)
        {
            LogBatchRefused(typeName, batch.Sets.Length - written, batch.Sets.Length);
        }

        _channel.Publish(keys);
        return written;
    }

    private void CountUnsent(string typeName, int count)
    {
        for (var i = 0; i < count; i++)
        {
            _metrics.RecordError("set_many", "redis", typeName);
        }
    }

    /// <summary>
    /// This process's own L1 copy of <paramref name="key"/>, if any, is older than what was written. Looked up first:
    /// <c>MemoryCache.Remove</c> takes a lock even for an absent key, and a warming run writes keys no reader has asked for
    /// yet. Callers skip it for a whole batch while L1 is empty (<c>MemoryCache.Count</c> takes every lock: once a batch).
    /// </summary>
    private void DropOwnCopy(string key)
    {
        if (_memory.Memory.TryGetValue(key, out _))
        {
            _memory.Memory.Remove(key);
        }
    }

    private static readonly Task<bool> NotWritten = Task.FromResult(false);

    private sealed record Batch(Task<bool>[] Sets, string[] Keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk write batch of {CacheType} entries failed in Redis")]
    private partial void LogBatchFailed(string cacheType, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A bulk write of {Key} failed")]
    private partial void LogEntryFailed(string key, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis refused {Failed} of {Count} entries of a bulk write batch of {CacheType}")]
    private partial void LogBatchRefused(string cacheType, int failed, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis answered a bulk batch of {CacheType} entries in {LatencyMs:F0} ms (entries refused: {Refused}); pausing {PauseMs:F0} ms between batches while it stays slow")]
    private partial void LogPacing(string cacheType, double latencyMs, bool refused, double pauseMs);
}
