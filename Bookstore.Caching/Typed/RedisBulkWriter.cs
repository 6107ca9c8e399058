using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// With one plain-TCP primary (<see cref="CacheOptions.BulkWriteConnection"/>), the batches go over a
/// <see cref="RedisBulkConnection"/> of their own, kept open between writes; otherwise through the multiplexer.
/// </summary>
public sealed partial class RedisBulkWriter(
    IConnectionMultiplexer connection,
    CacheSerializer serializer,
    CacheL1Store memory,
    CacheMetrics metrics,
    TimeProvider time,
    RedisClientSettings clientSettings,
    IOptions<CacheOptions> cacheOptions,
    ILogger<RedisBulkWriter> logger)
    : IHostedService, IDisposable
{
    /// <summary>The channel of bulk-write notifications: a source id line, then one key per line.</summary>
    public static readonly RedisChannel BulkSetChannel = RedisChannel.Literal(BulkSetChannelName);

    private const string BulkSetChannelName = BookstoreCachingExtensions.BackplaneChannelPrefix + ":bulk-set";

    /// <summary>This process's id in its notifications, so it ignores its own (it drops its L1 copies as it writes).</summary>
    private readonly string _sourceId = Guid.NewGuid().ToString("N");

    /// <summary>Entries per pipelined batch.</summary>
    public const int BatchSize = 256;

    /// <summary>Batches sent before the oldest one's replies are awaited.</summary>
    private const int BatchesInFlight = 4;

    /// <summary>Keys per <c>UNLINK</c> when a persistent type is cleared.</summary>
    private const int UnlinkBatch = 500;

    /// <summary>
    /// Bulk connections written in parallel by one large write, each encoding its share of the entries on its own thread
    /// (encoding is most of a bulk write's client time, and one Redis takes a SET faster than one thread encodes it).
    /// </summary>
    private static readonly int Lanes = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>A write is split into lanes only when each gets at least this many entries.</summary>
    private const int EntriesPerLane = BatchSize * BatchesInFlight;

    /// <summary>The bulk connections kept between writes, one per lane at most (a write that finds none opens one).</summary>
    private readonly RedisBulkConnection?[] _idle = new RedisBulkConnection?[Lanes];

    internal async ValueTask<int> WriteAsync<T>(Target target, IReadOnlyList<CacheWrite<T>> items, Func<string, string> keyFor, CancellationToken cancellationToken)
    {
        if (items.Count > 0 && BulkConnectionTarget() is var (endPoint, configuration))
        {
            var lanes = Math.Clamp(items.Count / EntriesPerLane, 1, Lanes);
            var share = (items.Count + lanes - 1) / lanes;
            var sent = new Task<int?>[lanes];
            for (var lane = lanes - 1; lane >= 0; lane--)
            {
                var start = lane * share;
                var count = Math.Min(share, items.Count - start);
                sent[lane] = lane == 0
                    ? WriteOverBulkConnectionAsync(endPoint, configuration, target, items, start, count, keyFor, cancellationToken).AsTask()
                    : Task.Run(
                        async () => await WriteOverBulkConnectionAsync(endPoint, configuration, target, items, start, count, keyFor, cancellationToken).ConfigureAwait(false),
                        CancellationToken.None);
            }

            // Every lane finishes (its sent batches counted) before a cancellation is passed on.
            await Task.WhenAll(sent).ConfigureAwait(false);
            var written = 0;
            for (var lane = 0; lane < lanes; lane++)
            {
                if (await sent[lane].ConfigureAwait(false) is { } count)
                {
                    written += count;
                }
                else
                {
                    // That lane could not open its connection: its entries through the multiplexer.
                    var start = lane * share;
                    written += await WriteOverMultiplexerAsync(target, new Slice<CacheWrite<T>>(items, start, Math.Min(share, items.Count - start)), keyFor, cancellationToken).ConfigureAwait(false);
                }
            }

            return written;
        }

        return await WriteOverMultiplexerAsync(target, items, keyFor, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The endpoint and credentials for a bulk connection: the one connected primary of a plain-TCP, non-Cluster
    /// setup. None while the multiplexer is disconnected (its path fails fast then) or when it knows no single primary.
    /// </summary>
    private (EndPoint EndPoint, ConfigurationOptions Configuration)? BulkConnectionTarget()
    {
        if (!cacheOptions.Value.BulkWriteConnection || clientSettings.Service is not { Ssl: false, Tunnel: null } configuration || !connection.IsConnected)
        {
            return null;
        }

        EndPoint? primary = null;
        foreach (var server in connection.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            // A Unix socket, a Cluster, or two primaries: the multiplexer knows how to route those.
            if (server.ServerType != ServerType.Standalone || primary is not null || server.EndPoint is not (IPEndPoint or DnsEndPoint))
            {
                return null;
            }

            primary = server.EndPoint;
        }

        return primary is null ? null : (primary, configuration);
    }

    /// <summary>
    /// Writes <paramref name="items"/> over a bulk connection; <see langword="null"/> when none could be opened (the
    /// caller then uses the multiplexer). A kept connection that fails is replaced once and the unacknowledged entries
    /// are sent again (SET is idempotent): Redis or a firewall may have closed it while it was idle.
    /// </summary>
    private async ValueTask<int?> WriteOverBulkConnectionAsync<T>(
        EndPoint endPoint, ConfigurationOptions configuration, Target target, IReadOnlyList<CacheWrite<T>> items, int first, int count, Func<string, string> keyFor, CancellationToken cancellationToken)
    {
        var bulk = TakeIdle(endPoint);

        var reused = bulk is not null;
        bulk ??= await OpenBulkConnectionAsync(endPoint, configuration, cancellationToken).ConfigureAwait(false);
        if (bulk is null)
        {
            return null;
        }

        var written = 0;
        var acknowledged = first;
        var end = first + count;
        var inFlight = new Queue<int>(BatchesInFlight + 1);
        var pacer = new Pacer(this, target.Name, time);
        using var timeout = new CancellationTokenSource();
        var operationTimeout = TimeSpan.FromMilliseconds(configuration.AsyncTimeout);
        var notice = new StringBuilder(_sourceId, 32 * (BatchSize + 1));
        try
        {
            while (true)
            {
                var sent = acknowledged;
                try
                {
                    while (sent < end && !cancellationToken.IsCancellationRequested)
                    {
                        var batchSize = Math.Min(BatchSize, end - sent);
                        FrameBatch(bulk, target, items, sent, batchSize, keyFor, notice);
                        timeout.CancelAfter(operationTimeout);
                        await bulk.FlushAsync(timeout.Token).ConfigureAwait(false);
                        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                        inFlight.Enqueue(batchSize);
                        sent += batchSize;
                        if (inFlight.Count >= BatchesInFlight)
                        {
                            var batch = inFlight.Dequeue();
                            var waitStarted = Stopwatch.GetTimestamp();
                            var ok = await ReadBatchAsync(bulk, target, batch, timeout, operationTimeout).ConfigureAwait(false);
                            written += ok;
                            acknowledged += batch;
                            await pacer.AfterBatchAsync(Stopwatch.GetElapsedTime(waitStarted), refused: ok < batch, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    // Even when cancelled: the batches already sent complete, and their outcome is counted.
                    while (inFlight.Count > 0)
                    {
                        var batch = inFlight.Dequeue();
                        written += await ReadBatchAsync(bulk, target, batch, timeout, operationTimeout).ConfigureAwait(false);
                        acknowledged += batch;
                    }

                    break;
                }
                catch (Exception ex) when (ex is IOException or SocketException or RedisConnectionException or OperationCanceledException)
                {
                    bulk.Dispose();
                    bulk = null;
                    inFlight.Clear();
                    notice.Clear().Append(_sourceId);
                    // A kept connection closed while idle, not Redis answering too slowly (timeout fired): that one
                    // would only run out again on a new connection.
                    if (reused && !cancellationToken.IsCancellationRequested && !timeout.IsCancellationRequested)
                    {
                        reused = false;
                        LogKeptConnectionFailed(ex.GetType().Name);
                        bulk = await OpenBulkConnectionAsync(endPoint, configuration, cancellationToken).ConfigureAwait(false);
                    }

                    if (bulk is null)
                    {
                        LogBatchFailed(target.Name, ex);
                        for (var failed = acknowledged; failed < end; failed++)
                        {
                            metrics.RecordError("set_many", "redis", target.Name);
                        }

                        break;
                    }
                }
            }
        }
        finally
        {
            if (bulk is not null)
            {
                KeepIdle(bulk);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return written;
    }

    private RedisBulkConnection? TakeIdle(EndPoint endPoint)
    {
        for (var slot = 0; slot < _idle.Length; slot++)
        {
            if (Interlocked.Exchange(ref _idle[slot], null) is { } kept)
            {
                if (kept.EndPoint.Equals(endPoint))
                {
                    return kept;
                }

                // The primary moved: connections to the old one are of no more use.
                kept.Dispose();
            }
        }

        return null;
    }

    private void KeepIdle(RedisBulkConnection bulk)
    {
        for (var slot = 0; slot < _idle.Length; slot++)
        {
            if (Interlocked.CompareExchange(ref _idle[slot], bulk, null) is null)
            {
                return;
            }
        }

        bulk.Dispose();
    }

    private async ValueTask<RedisBulkConnection?> OpenBulkConnectionAsync(EndPoint endPoint, ConfigurationOptions configuration, CancellationToken cancellationToken)
    {
        try
        {
            return await RedisBulkConnection.OpenAsync(endPoint, configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or RedisConnectionException or OperationCanceledException)
        {
            LogBulkConnectionUnavailable(endPoint.ToString() ?? "?", ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Frames <paramref name="count"/> entries from <paramref name="start"/> as <c>SET key value PX ms</c> (what
    /// <see cref="RedisStringDistributedCache"/> sends), then the batch's notification.
    /// </summary>
    private void FrameBatch<T>(RedisBulkConnection bulk, Target target, IReadOnlyList<CacheWrite<T>> items, int start, int count, Func<string, string> keyFor, StringBuilder notice)
    {
        // One clock reading and one look at L1 per batch (a batch is sent within a millisecond or so).
        var now = time.GetUtcNow();
        var dropOwnCopies = memory.Memory.Count > 0;
        for (var i = start; i < start + count; i++)
        {
            var item = items[i];
            var key = keyFor(item.Id);
            var entry = target.EntryFor(item.Value, item.Tags, now, out var timeToLive);
            bulk.WriteArrayHeader(5);
            bulk.WriteBulk("SET"u8);
            bulk.WriteBulk(key);
            bulk.WriteBulk((serializer, entry), static (state, output) => state.serializer.SerializeTo(state.entry, output));
            bulk.WriteBulk("PX"u8);
            bulk.WriteBulk(Math.Max(1, (long)timeToLive.TotalMilliseconds));
            notice.Append('\n').Append(key);
            if (dropOwnCopies)
            {
                DropOwnCopy(key);
            }
        }

        bulk.WriteArrayHeader(3);
        bulk.WriteBulk("PUBLISH"u8);
        bulk.WriteBulk(BulkSetChannelName);
        bulk.WriteBulk(notice.ToString());
        notice.Clear().Append(_sourceId);
    }

    /// <summary>Reads one batch's replies (its SETs', then its notification's); returns the entries written.</summary>
    private async ValueTask<int> ReadBatchAsync(RedisBulkConnection bulk, Target target, int count, CancellationTokenSource timeout, TimeSpan operationTimeout)
    {
        // Armed only while waiting on Redis, so a pause between batches never runs it out.
        timeout.CancelAfter(operationTimeout);
        var replies = await bulk.ReadRepliesAsync(count + 1, timeout.Token).ConfigureAwait(false);
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        if (replies.Errors > 0)
        {
            // An OOM, a NOPERM, a READONLY after a failover: the entries not OK'd are not written.
            LogBatchRefused(target.Name, replies.Errors, replies.FirstError);
        }

        for (var failed = replies.Ok; failed < count; failed++)
        {
            metrics.RecordError("set_many", "redis", target.Name);
        }

        return Math.Min(replies.Ok, count);
    }

    private async ValueTask<int> WriteOverMultiplexerAsync<T>(Target target, IReadOnlyList<CacheWrite<T>> items, Func<string, string> keyFor, CancellationToken cancellationToken)
    {
        var db = connection.GetDatabase();
        var inFlight = new Queue<(Task<int> Written, int Count)>(BatchesInFlight + 1);
        var notice = new StringBuilder(_sourceId, 32 * (BatchSize + 1));
        var pacer = new Pacer(this, target.Name, time);
        var written = 0;
        try
        {
            for (var start = 0; start < items.Count; start += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(BatchSize, items.Count - start);
                var batch = db.CreateBatch();
                var sets = new Task<bool>[count];
                var now = time.GetUtcNow();
                var dropOwnCopies = memory.Memory.Count > 0;
                for (var i = 0; i < count; i++)
                {
                    var item = items[start + i];
                    var key = keyFor(item.Id);
                    var entry = target.EntryFor(item.Value, item.Tags, now, out var timeToLive);
                    sets[i] = batch.StringSetAsync(key, serializer.Serialize(entry), timeToLive);
                    notice.Append('\n').Append(key);
                    if (dropOwnCopies)
                    {
                        DropOwnCopy(key);
                    }
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

                inFlight.Enqueue((CountWrittenAsync(target, sets), count));
                if (inFlight.Count >= BatchesInFlight)
                {
                    var (batchWritten, batchCount) = inFlight.Dequeue();
                    var waitStarted = Stopwatch.GetTimestamp();
                    var ok = await batchWritten.ConfigureAwait(false);
                    written += ok;
                    await pacer.AfterBatchAsync(Stopwatch.GetElapsedTime(waitStarted), refused: ok < batchCount, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Even when cancelled: the batches already sent complete, and their outcome is counted.
            while (inFlight.Count > 0)
            {
                written += await inFlight.Dequeue().Written.ConfigureAwait(false);
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

    public void Dispose()
    {
        for (var slot = 0; slot < _idle.Length; slot++)
        {
            Interlocked.Exchange(ref _idle[slot], null)?.Dispose();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
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

    /// <summary>
    /// This process's own L1 copy of <paramref name="key"/>, if any, is older than what is being written. Looked up first:
    /// <see cref="MemoryCache.Remove"/> takes a lock even for an absent key, and a warming run writes keys no reader has
    /// asked for yet (it was half the framing time of a batch). Callers skip it for a whole batch while L1 is empty
    /// (<see cref="MemoryCache.Count"/> takes every lock of the cache's dictionary: once per batch, not per entry).
    /// </summary>
    private void DropOwnCopy(string key)
    {
        if (memory.Memory.TryGetValue(key, out _))
        {
            memory.Memory.Remove(key);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis refused {Errors} commands of a bulk write batch of {CacheType} entries: {FirstError}")]
    private partial void LogBatchRefused(string cacheType, int errors, string? firstError);

    [LoggerMessage(Level = LogLevel.Information, Message = "The kept bulk-write connection failed ({Reason}); writing the rest over a new one")]
    private partial void LogKeptConnectionFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No bulk-write connection to {EndPoint} ({Reason}); bulk writes go through the multiplexer")]
    private partial void LogBulkConnectionUnavailable(string endPoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis answered a bulk batch of {CacheType} entries in {LatencyMs:F0} ms (entries refused: {Refused}); pausing {PauseMs:F0} ms between batches while it stays slow")]
    private partial void LogPacing(string cacheType, double latencyMs, bool refused, double pauseMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A bulk write batch of {CacheType} entries failed in Redis")]
    private partial void LogBatchFailed(string cacheType, Exception exception);

    /// <summary>
    /// Waiting this long for the oldest batch in flight is Redis under pressure (with four in flight the wait is normally
    /// well under a millisecond to a few): bulk writes then pause before the next batch, so a warming run yields to the
    /// service's reads.
    /// </summary>
    internal static readonly TimeSpan SlowBatch = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between two batches.</summary>
    internal static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private long _pauses;

    /// <summary>Pauses bulk writes took because Redis answered slowly or refused entries (since start).</summary>
    internal long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>
    /// One write's back-off: after waiting <see cref="SlowBatch"/> or longer for a batch, a pause as long as that wait;
    /// after one with refused entries (out of memory, say), at least 100 ms; at most <see cref="MaxPause"/>. Slowing
    /// down is logged once per write.
    /// </summary>
    private sealed class Pacer(RedisBulkWriter writer, string cacheType, TimeProvider time)
    {
        private static readonly TimeSpan AfterRefusal = TimeSpan.FromMilliseconds(100);

        private bool _logged;

        /// <param name="latency">How long the writer waited for the batch's replies (not counting earlier pauses).</param>
        public async ValueTask AfterBatchAsync(TimeSpan latency, bool refused, CancellationToken cancellationToken)
        {
            if (latency < SlowBatch && !refused)
            {
                return;
            }

            var pause = refused && latency < AfterRefusal ? AfterRefusal : latency;
            pause = pause > MaxPause ? MaxPause : pause;
            Interlocked.Increment(ref writer._pauses);
            if (!_logged)
            {
                _logged = true;
                writer.LogPacing(cacheType, latency.TotalMilliseconds, refused, pause.TotalMilliseconds);
            }

            // A cancelled pause ends the write at the next batch, which checks the token.
            await Task.Delay(pause, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>A lane's share of a write's entries, without copying them.</summary>
    private sealed class Slice<TItem>(IReadOnlyList<TItem> items, int start, int count) : IReadOnlyList<TItem>
    {
        public TItem this[int index] => (uint)index < (uint)count ? items[start + index] : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => count;

        public IEnumerator<TItem> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return items[start + i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

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
