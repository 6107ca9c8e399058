using System.Diagnostics;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bookstore.Caching.Redis;

/// <summary>
/// <see cref="IRedisService"/> over the process's one multiplexer. Every call is bounded by
/// <see cref="Configuration.RedisOptions.OperationTimeoutMs"/> (and fails at once while disconnected, by the
/// fail-fast backlog policy), timed into <see cref="CacheMetrics"/>, and turned into a miss / false /
/// failed <see cref="CounterResult"/> on a Redis error.
/// </summary>
public sealed partial class RedisService(
    RedisConnectionManager connection,
    CacheSerializer serializer,
    CacheMetrics metrics,
    IOptions<CacheOptions> options,
    ILogger<RedisService> logger) : IRedisService
{
    /// <summary>Longest key accepted; longer keys are an application bug, refused before reaching Redis.</summary>
    public const int MaxKeyLength = 1024;

    /// <summary>Pass as a time to live to store a value without expiry (a null TTL means the default TTL).</summary>
    public static readonly TimeSpan NoExpiry = Timeout.InfiniteTimeSpan;

    /// <summary>Keys asked of SCAN per call and deleted per command when deleting by prefix.</summary>
    private const int UnlinkBatch = 500;

    private readonly TimeSpan _defaultTtl = options.Value.DefaultTtl;

    /// <summary>
    /// Key reads of this general-purpose service go to the primary even with replica reads on: a caller that just wrote a
    /// key (a round-trip probe, a counter) expects to read it back. Only the popularity scores prefer a replica.
    /// </summary>
    private const CommandFlags PrimaryRead = CommandFlags.None;

    private IDatabase Db => connection.Database;

    public async Task<CacheLookup<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync<T>(key, cancellationToken).ConfigureAwait(false);
        return read.Found ? new CacheLookup<T>(true, read.Value) : CacheLookup<T>.Miss;
    }

    public async Task<CacheRead<T>> ReadAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var lease = await Db.StringGetLeaseAsync(redisKey, PrimaryRead)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("get", cacheType, Stopwatch.GetElapsedTime(started));
            if (lease is null)
            {
                metrics.RecordRequest(cacheType, CacheLevel.L2, CacheOutcome.Miss);
                return CacheRead<T>.Missing;
            }

            var decoded = Decode<T>(redisKey, cacheType, lease.Span);
            return decoded.Found ? new CacheRead<T>(CacheReadStatus.Found, decoded.Value) : CacheRead<T>.Missing;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("get", cacheType, started, ex);
            metrics.RecordRequest(cacheType, CacheLevel.L2, CacheOutcome.Error);
            return CacheRead<T>.Unavailable;
        }
    }

    public async Task<bool> SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        var expiry = ExpiryFor(timeToLive);
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        var payload = Encode(cacheType, value);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var written = await Db.StringSetAsync(redisKey, payload, expiry, When.Always)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("set", cacheType, Stopwatch.GetElapsedTime(started));
            return written;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("set", cacheType, started, ex);
            return false;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var deleted = await Db.KeyDeleteAsync(redisKey)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("delete", cacheType, Stopwatch.GetElapsedTime(started));
            return deleted;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("delete", cacheType, started, ex);
            return false;
        }
    }

    public async Task<CounterResult> DeleteByPrefixAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var pattern = (string)Namespaced(prefix)! + "*";
        var cacheType = CacheTypeOf(pattern);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        long deleted = 0;
        try
        {
            foreach (var server in connection.PrimaryServers())
            {
                var keys = new List<RedisKey>(UnlinkBatch);
                await foreach (var key in server.KeysAsync(Db.Database, pattern, UnlinkBatch).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    keys.Add(key);
                    if (keys.Count == UnlinkBatch)
                    {
                        deleted += await UnlinkAsync(keys).ConfigureAwait(false);
                    }
                }

                deleted += await UnlinkAsync(keys).ConfigureAwait(false);
            }

            metrics.RecordOperation("delete_by_prefix", cacheType, Stopwatch.GetElapsedTime(started));
            return CounterResult.Success(deleted);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            return CounterResult.Failure(Failed("delete_by_prefix", cacheType, started, ex));
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var exists = await Db.KeyExistsAsync(redisKey, PrimaryRead)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("exists", cacheType, Stopwatch.GetElapsedTime(started));
            return exists;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("exists", cacheType, started, ex);
            return false;
        }
    }

    public Task<CounterResult> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default) =>
        AddAsync("increment", key, by, cancellationToken);

    public Task<CounterResult> DecrementAsync(string key, long by = 1, CancellationToken cancellationToken = default) =>
        AddAsync("decrement", key, checked(-by), cancellationToken);

    public async Task<bool> ExpireAsync(string key, TimeSpan? timeToLive, CancellationToken cancellationToken = default)
    {
        ValidateTimeToLive(timeToLive);
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var changed = timeToLive is null
                ? await Db.KeyPersistAsync(redisKey).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false)
                : await Db.KeyExpireAsync(redisKey, timeToLive).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("expire", cacheType, Stopwatch.GetElapsedTime(started));
            return changed;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("expire", cacheType, started, ex);
            return false;
        }
    }

    public async Task<CacheLookup<TimeSpan?>> TimeToLiveAsync(string key, CancellationToken cancellationToken = default)
    {
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            // PTTL answers -2 for a missing key and -1 for a key without expiry in one round trip.
            var result = await Db.ExecuteAsync("PTTL", [redisKey], PrimaryRead)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("ttl", cacheType, Stopwatch.GetElapsedTime(started));
            var milliseconds = (long)result;
            return milliseconds switch
            {
                -2 => CacheLookup<TimeSpan?>.Miss,
                -1 => new CacheLookup<TimeSpan?>(true, null),
                _ => new CacheLookup<TimeSpan?>(true, TimeSpan.FromMilliseconds(milliseconds)),
            };
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("ttl", cacheType, started, ex);
            return CacheLookup<TimeSpan?>.Miss;
        }
    }

    public async Task<IReadOnlyList<CacheLookup<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        var redisKeys = new RedisKey[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            redisKeys[i] = Namespaced(keys[i]);
        }

        var cacheType = CacheTypeOf(redisKeys[0]);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var results = new CacheLookup<T>[keys.Count];
        try
        {
            var values = await StringGetAsync(redisKeys).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation("get_many", cacheType, Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i].IsNull)
                {
                    metrics.RecordRequest(CacheTypeOf(redisKeys[i]), CacheLevel.L2, CacheOutcome.Miss);
                    continue;
                }

                results[i] = Decode<T>(redisKeys[i], CacheTypeOf(redisKeys[i]), ((ReadOnlyMemory<byte>)values[i]).Span);
            }
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("get_many", cacheType, started, ex);
            foreach (var redisKey in redisKeys)
            {
                metrics.RecordRequest(CacheTypeOf(redisKey), CacheLevel.L2, CacheOutcome.Error);
            }
        }

        return results;
    }

    public async Task<bool> SetManyAsync<T>(
        IReadOnlyCollection<KeyValuePair<string, T>> entries, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var expiry = ExpiryFor(timeToLive);
        if (entries.Count == 0)
        {
            return true;
        }

        // Encode everything first, so a serialization bug fails before anything is sent.
        var encoded = new List<(RedisKey Key, byte[] Payload)>(entries.Count);
        foreach (var (key, value) in entries)
        {
            var redisKey = Namespaced(key);
            encoded.Add((redisKey, Encode(CacheTypeOf(redisKey), value)));
        }

        var cacheType = CacheTypeOf(encoded[0].Key);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            bool written;
            if (expiry is null)
            {
                written = await StringSetAsync(encoded).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // MSET cannot carry a TTL on Redis 7: one batch of SET EX commands, flushed together in one round trip.
                var batch = Db.CreateBatch();
                var pending = new Task<bool>[encoded.Count];
                for (var i = 0; i < encoded.Count; i++)
                {
                    pending[i] = batch.StringSetAsync(encoded[i].Key, encoded[i].Payload, expiry, When.Always);
                }

                batch.Execute();
                var outcomes = await Task.WhenAll(pending).WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
                written = Array.TrueForAll(outcomes, ok => ok);
            }

            metrics.RecordOperation("set_many", cacheType, Stopwatch.GetElapsedTime(started));
            return written;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            Failed("set_many", cacheType, started, ex);
            return false;
        }
    }

    /// <summary>
    /// The key under our namespace. Keys are application identifiers, never request text: one that is empty,
    /// too long or holds whitespace or control characters is a bug and throws <see cref="ArgumentException"/>.
    /// </summary>
    internal static RedisKey Namespaced(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"Redis key is {key.Length} characters; at most {MaxKeyLength} are allowed.", nameof(key));
        }

        foreach (var c in key)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new ArgumentException("Redis keys may not contain whitespace or control characters.", nameof(key));
            }
        }

        return key.StartsWith(CacheKeyBuilder.Prefix, StringComparison.Ordinal) ? key : CacheKeyBuilder.Prefix + key;
    }

    /// <summary>The metric's <c>cache.type</c>: the first segment after <c>bookstore:</c> and an optional <c>v{n}:</c>.</summary>
    internal static string CacheTypeOf(RedisKey redisKey)
    {
        var key = (string)redisKey!;
        var rest = key.AsSpan(CacheKeyBuilder.Prefix.Length);
        if (rest.Length > 1 && rest[0] == 'v' && char.IsAsciiDigit(rest[1]))
        {
            var afterVersion = rest.IndexOf(':');
            rest = afterVersion < 0 ? rest : rest[(afterVersion + 1)..];
        }

        var end = rest.IndexOf(':');
        var segment = end < 0 ? rest : rest[..end];
        return segment.IsEmpty ? "default" : segment.ToString();
    }

    /// <summary>UNLINK (frees the values off the main thread) of the keys gathered, one command per hash slot; empties the list.</summary>
    private async Task<long> UnlinkAsync(List<RedisKey> keys)
    {
        if (keys.Count == 0)
        {
            return 0;
        }

        var unlinks = HashSlotGroups.Of(connection.Connection, connection.IsCluster, keys)
            .Select(group => Db.ExecuteAsync("UNLINK", [.. group.Select(i => (object)keys[i])]));
        var deleted = await Task.WhenAll(unlinks).WaitAsync(connection.OperationTimeout).ConfigureAwait(false);
        keys.Clear();
        return deleted.Sum(count => (long)count);
    }

    /// <summary>MGET of <paramref name="keys"/>, one command per hash slot; the values in the keys' order.</summary>
    private async Task<RedisValue[]> StringGetAsync(RedisKey[] keys)
    {
        var groups = HashSlotGroups.Of(connection.Connection, connection.IsCluster, keys);
        if (groups.Count == 1)
        {
            return await Db.StringGetAsync(keys, PrimaryRead).ConfigureAwait(false);
        }

        var values = new RedisValue[keys.Length];
        await Task.WhenAll(groups.Select(async group =>
        {
            var read = await Db.StringGetAsync([.. group.Select(i => keys[i])], PrimaryRead).ConfigureAwait(false);
            for (var i = 0; i < group.Length; i++)
            {
                values[group[i]] = read[i];
            }
        })).ConfigureAwait(false);
        return values;
    }

    /// <summary>MSET of <paramref name="entries"/> (no expiry), one command per hash slot; true when every one succeeded.</summary>
    private async Task<bool> StringSetAsync(List<(RedisKey Key, byte[] Payload)> entries)
    {
        var keys = entries.ConvertAll(e => e.Key);
        var sets = HashSlotGroups.Of(connection.Connection, connection.IsCluster, keys)
            .Select(group => Db.StringSetAsync([.. group.Select(i => new KeyValuePair<RedisKey, RedisValue>(entries[i].Key, entries[i].Payload))]));
        var written = await Task.WhenAll(sets).ConfigureAwait(false);
        return Array.TrueForAll(written, ok => ok);
    }

    private async Task<CounterResult> AddAsync(string operation, string key, long by, CancellationToken cancellationToken)
    {
        var redisKey = Namespaced(key);
        var cacheType = CacheTypeOf(redisKey);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var value = await Db.StringIncrementAsync(redisKey, by)
                .WaitAsync(connection.OperationTimeout, cancellationToken).ConfigureAwait(false);
            metrics.RecordOperation(operation, cacheType, Stopwatch.GetElapsedTime(started));
            return CounterResult.Success(value);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            return CounterResult.Failure(Failed(operation, cacheType, started, ex));
        }
    }

    private byte[] Encode<T>(string cacheType, T value)
    {
        var payload = serializer.Serialize(value, out var info);
        metrics.RecordPayload(cacheType, payload.Length, info.Compressed, info.BodyLength);
        return payload;
    }

    private CacheLookup<T> Decode<T>(RedisKey redisKey, string cacheType, ReadOnlySpan<byte> payload)
    {
        var status = serializer.TryDeserialize<T>(payload, out var value);
        if (status == DecodeStatus.Ok)
        {
            metrics.RecordRequest(cacheType, CacheLevel.L2, CacheOutcome.Hit);
            return new CacheLookup<T>(true, value);
        }

        // Cached bytes are untrusted: a value we cannot read is a miss, and it is removed so the next write replaces it.
        metrics.RecordRequest(cacheType, CacheLevel.L2, CacheOutcome.Miss);
        metrics.RecordError("deserialize", status.ToErrorType(), cacheType);
        LogUndecodableValue(redisKey.ToString(), status, payload.Length);
        _ = Db.KeyDeleteAsync(redisKey, CommandFlags.FireAndForget);
        return CacheLookup<T>.Miss;
    }

    private string Failed(string operation, string cacheType, long started, Exception exception)
    {
        var errorType = ErrorTypeOf(exception);
        if (errorType == "timeout")
        {
            connection.ReportTimeout();
        }

        metrics.RecordOperation(operation, cacheType, Stopwatch.GetElapsedTime(started), failed: true);
        metrics.RecordError(operation, errorType);
        LogOperationFailed(operation, cacheType, errorType, exception);
        return errorType;
    }

    private static bool IsRedisFailure(Exception exception, CancellationToken cancellationToken) =>
        exception is RedisException or TimeoutException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    internal static string ErrorTypeOf(Exception exception) => exception switch
    {
        RedisConnectionException => "connection",
        RedisTimeoutException or TimeoutException => "timeout",
        RedisServerException server when server.Message.StartsWith("NOPERM", StringComparison.Ordinal) => "permission",
        RedisServerException server when server.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal) => "wrong_type",
        RedisServerException => "server",
        OperationCanceledException => "cancelled",
        _ => "redis",
    };

    /// <summary>null: the configured default TTL; <see cref="NoExpiry"/>: none; otherwise the given positive TTL.</summary>
    private TimeSpan? ExpiryFor(TimeSpan? timeToLive)
    {
        if (timeToLive is null)
        {
            return _defaultTtl;
        }

        if (timeToLive == NoExpiry)
        {
            return null;
        }

        ValidateTimeToLive(timeToLive);
        return timeToLive;
    }

    private static void ValidateTimeToLive(TimeSpan? timeToLive)
    {
        if (timeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive), ttl, "A time to live must be positive; use RedisService.NoExpiry for no expiry.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Operation} on {CacheType} failed ({ErrorType})")]
    private partial void LogOperationFailed(string operation, string cacheType, string errorType, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cached value at {Key} could not be decoded ({Status}, {Length} bytes); treated as a miss and deleted")]
    private partial void LogUndecodableValue(string key, DecodeStatus status, int length);
}
