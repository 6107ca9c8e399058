using System.Collections.Concurrent;
using System.Diagnostics;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Redis;
using Microsoft.Extensions.Logging;
using ZiggyCreatures.Caching.Fusion;

namespace Bookstore.Caching.Typed;

/// <summary>
/// <see cref="ICacheService"/> on FusionCache: L1 memory, L2 Redis through the shared multiplexer and
/// <c>CacheSerializer</c>, the Redis backplane for every replica's L1, stampede protection, fail-safe, eager refresh
/// and tags. What it adds: the per-type policies, the keys, the outcome of each call and its metrics.
/// Each <see cref="CacheType"/> has its own named FusionCache (one L1 memory cache, one multiplexer, a backplane
/// channel and tag keys per type), so a type is flushed by that cache's Clear and entries carry no type tag, which
/// FusionCache would check on every hit.
/// Persistent types keep their Redis copy without a TTL (written through <see cref="IRedisService"/>) so a
/// <c>volatile-*</c> server never evicts them; FusionCache holds only their L1 copy.
/// </summary>
public sealed partial class CacheService : ICacheService
{
    private readonly IRedisService _redis;
    private readonly CacheMetrics _metrics;
    private readonly ILogger<CacheService> _logger;
    private readonly CachePolicyTable _policies;
    private readonly CacheBulkWriter? _bulk;
    private readonly TypeSlot[] _slots;
    private readonly HashSet<CacheType> _persistentEntriesOf;
    private readonly InvalidationStamps? _stamps;
    private readonly CacheL1Store? _l1;

    /// <summary>Invalidations that could not reach Redis, sent again when the connection is back (<see cref="ResyncAsync"/>).</summary>
    private readonly ConcurrentDictionary<PendingInvalidation, byte> _pending = new();

    /// <summary>
    /// Invalidations Redis acknowledged in the last <see cref="RecentWindow"/> (at most <see cref="RecentCapacity"/>), sent
    /// again on every restoration (<see cref="ResyncAsync"/>): a primary acknowledges a write before its replicas have it,
    /// so a failover can discard an acknowledged invalidation. An old primary that wakes from a stall and takes writes
    /// until the Sentinels demote it (up to ~15 s) discards them all. The entry it should have removed would then be
    /// served until its TTL; sent again it is removed.
    /// </summary>
    private readonly ConcurrentQueue<(long At, PendingInvalidation Item)> _recent = new();

    internal static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(30);

    internal const int RecentCapacity = 50_000;

    // Slots of entries with their own strategy or duration ([CacheResult] TtlSeconds/Strategy): the type's cache and
    // keys with that policy's options, made once per (type, policy).
    private readonly ConcurrentDictionary<(CacheType Type, CacheEntryPolicy Entry), TypeSlot> _entrySlots = new();

    public CacheService(
        IFusionCacheProvider caches,
        IRedisService redis,
        CachePolicyTable policies,
        CacheMetrics metrics,
        ILogger<CacheService> logger,
        CacheBulkWriter? bulk = null,
        IEnumerable<PersistentEntriesOf>? persistentEntries = null,
        InvalidationStamps? stamps = null,
        RedisConnectionManager? connection = null,
        CacheL1Store? l1 = null)
    {
        _redis = redis;
        _stamps = stamps;
        _l1 = l1;
        connection?.OnRestored(ResyncAsync);
        _metrics = metrics;
        _logger = logger;
        _policies = policies;
        _bulk = bulk;
        _persistentEntriesOf = [.. persistentEntries?.Select(p => p.Type) ?? []];
        _slots = [.. policies.All.Select(p => new TypeSlot(p, caches.GetCache(CacheNameOf(p.Type)), metrics))];
        foreach (var policy in policies.All.Where(p => p.Bypass))
        {
            LogBypassed(policy.Type);
        }
    }

    public CachePolicy PolicyOf(CacheType type) => _policies[type];

    public ValueTask<CacheLookup<T>> GetAsync<T>(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = slot.KeyFor(id);
        if (slot.Policy.Bypass)
        {
            return new ValueTask<CacheLookup<T>>(CacheLookup<T>.Miss);
        }

        if (slot.Policy.UseL1)
        {
            var probe = slot.Cache.TryGetAsync<T>(key, slot.MemoryOnly, cancellationToken);
            if (!probe.IsCompletedSuccessfully)
            {
                return GetAfterProbeAsync(slot, key, probe, cancellationToken);
            }

            var memory = probe.Result;
            if (memory.HasValue)
            {
                slot.Counters.RecordUntimedL1Hit();
                return new ValueTask<CacheLookup<T>>(new CacheLookup<T>(true, memory.Value));
            }
        }

        return GetFromRedisAsync<T>(slot, key, Stopwatch.GetTimestamp(), cancellationToken);
    }

    public async ValueTask SetAsync<T>(CacheType type, T value, string id, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = slot.KeyFor(id);
        if (slot.Policy.Bypass)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.IsPersistent)
        {
            await _redis.SetAsync(key, value, RedisService.NoExpiry, cancellationToken).ConfigureAwait(false);
            await slot.Cache.SetAsync(key, value, slot.MemoryOnly, tags, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await slot.Cache.SetAsync(key, value, slot.Options, tags, cancellationToken).ConfigureAwait(false);
        }

        _metrics.RecordOperation("set", slot.Counters, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// <see cref="SetAsync{T}"/> that says whether Redis holds the entry afterwards, for a value that is worth nothing
    /// unless it can be read back (a session, which has no L1 copy). The Redis write is awaited and its failure
    /// (refused, unreachable, or slower than the type's <c>DistributedCacheHardTimeout</c>) is counted, logged and
    /// answered with false, where <see cref="SetAsync{T}"/> lets FusionCache swallow it. False for a bypassed type. For a
    /// type with L1 this process's memory may hold the value even when false is returned.
    /// </summary>
    public async ValueTask<bool> TrySetAsync<T>(CacheType type, T value, string id, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = slot.KeyFor(id);
        if (slot.Policy.Bypass)
        {
            return false;
        }

        var started = Stopwatch.GetTimestamp();
        bool stored;
        if (slot.Policy.IsPersistent)
        {
            stored = await _redis.SetAsync(key, value, RedisService.NoExpiry, cancellationToken).ConfigureAwait(false);
            if (stored)
            {
                await slot.Cache.SetAsync(key, value, slot.MemoryOnly, tags, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            // FusionCache does not rethrow a write that hit its own hard timeout: ConfirmedOptions turn that timeout off
            // and this token bounds the write at the same duration instead.
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(slot.Options.DistributedCacheHardTimeout);
            try
            {
                await slot.Cache.SetAsync(key, value, slot.ConfirmedOptions, tags, bounded.Token).ConfigureAwait(false);
                stored = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var errorType = bounded.IsCancellationRequested ? "timeout" : RedisService.ErrorTypeOf(ex.InnerException ?? ex);
                _metrics.RecordError("set", errorType, slot.Name);
                LogWriteFailed(slot.Name, errorType, ex);
                stored = false;
            }
        }

        _metrics.RecordOperation("set", slot.Counters, Stopwatch.GetElapsedTime(started), failed: !stored);
        return stored;
    }

    /// <summary>
    /// <see cref="GetAsync{T}"/> that tells a miss from a failed read, for a value whose absence means something to the
    /// caller (a session: a miss signs the reader out, a Redis outage must not). An L1 hit is found; otherwise Redis is
    /// read, and its failure (refused, unreachable, or slower than <see cref="Configuration.RedisOptions.CacheTimeoutMs"/>),
    /// counted and logged, is <see cref="CacheReadStatus.Unavailable"/> where <see cref="GetAsync{T}"/> answers a miss.
    /// A bypassed type is <see cref="CacheReadStatus.Missing"/>: it holds nothing.
    /// </summary>
    public async ValueTask<CacheRead<T>> ReadAsync<T>(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = slot.KeyFor(id);
        if (slot.Policy.Bypass)
        {
            return CacheRead<T>.Missing;
        }

        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.UseL1 && await slot.Cache.TryGetAsync<T>(key, slot.MemoryOnly, cancellationToken).ConfigureAwait(false) is { HasValue: true } memory)
        {
            Record(slot, "get", started, CacheLevel.L1, CacheOutcome.Hit);
            return new CacheRead<T>(CacheReadStatus.Found, memory.Value);
        }

        if (slot.Policy.IsPersistent)
        {
            var stored = await _redis.ReadAsync<T>(key, cancellationToken).ConfigureAwait(false);
            if (stored.Found)
            {
                await slot.Cache.SetAsync(key, stored.Value, slot.MemoryOnlyNoNotify, token: cancellationToken).ConfigureAwait(false);
            }

            Record(slot, "get", started, CacheLevel.L2, stored.Status switch
            {
                CacheReadStatus.Found => CacheOutcome.Hit,
                CacheReadStatus.Missing => CacheOutcome.Miss,
                _ => CacheOutcome.Error,
            });
            return stored;
        }

        try
        {
            // ConfirmedOptions rethrow what FusionCache would swallow; the L2 itself bounds the read at the cache timeout.
            var value = await slot.Cache.TryGetAsync<T>(key, slot.ConfirmedOptions, cancellationToken).ConfigureAwait(false);
            Record(slot, "get", started, CacheLevel.L2, value.HasValue ? CacheOutcome.Hit : CacheOutcome.Miss);
            return value.HasValue ? new CacheRead<T>(CacheReadStatus.Found, value.Value) : CacheRead<T>.Missing;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var errorType = RedisService.ErrorTypeOf(ex.InnerException ?? ex);
            _metrics.RecordError("get", errorType, slot.Name);
            Record(slot, "get", started, CacheLevel.L2, CacheOutcome.Error);
            LogReadFailed(slot.Name, errorType, ex);
            return CacheRead<T>.Unavailable;
        }
    }

    public async ValueTask<int> SetManyAsync<T>(CacheType type, IReadOnlyList<CacheWrite<T>> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var slot = _slots[(int)type];
        if (typeof(T) == typeof(EncodedJson) && (_bulk is null || slot.Policy.IsPersistent))
        {
            // Those paths keep the value in L1 as it is: a reader of the type would find JSON bytes there.
            throw new NotSupportedException($"Values encoded as JSON are written in bulk to Redis only, not to {type} ({(_bulk is null ? "no Redis" : "persistent")}).");
        }

        var started = Stopwatch.GetTimestamp();
        int written;
        if (_bulk is not null && !slot.Policy.IsPersistent)
        {
            written = await _bulk.WriteAsync(slot.Cache, slot.BulkOptions, slot.Name, items, slot.KeyFor, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Persistent types (written through IRedisService, without a TTL) and caches without Redis: per-entry writes,
            // still many in flight at once, which the multiplexer pipelines.
            written = 0;
            foreach (var chunk in items.Chunk(BulkWritePolicy.Default.BatchSize))
            {
                await Task.WhenAll(chunk.Select(item => SetAsync(type, item.Value, item.Id, item.Tags, cancellationToken).AsTask())).ConfigureAwait(false);
                written += chunk.Length;
            }
        }

        _metrics.RecordOperation("set_many", slot.Counters, Stopwatch.GetElapsedTime(started), failed: written < items.Count);
        return written;
    }

    public ValueTask<T> GetOrSetAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);

        // An L1 hit completes synchronously: unwrap it without an async state machine.
        var entry = GetOrSetEntryCore(_slots[(int)type], id, factory, StatelessFactory<T>.Call, tags, tagsOf: null, cancellationToken);
        return entry.IsCompletedSuccessfully ? new ValueTask<T>(entry.Result.Value) : ValueOf(entry);
    }

    /// <summary><see cref="GetOrSetAsync{T}"/> that also says where the value came from (for <c>X-Cache</c>).</summary>
    public ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetEntryCore(_slots[(int)type], id, factory, StatelessFactory<T>.Call, tags, tagsOf: null, cancellationToken);
    }

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}(CacheType, string, Func{CancellationToken, Task{T}}, IEnumerable{string}?, CancellationToken)"/>
    /// with tags taken from the loaded value (<paramref name="tagsOf"/>) and the type's strategy and duration replaced by
    /// <paramref name="policy"/> for this entry (<see cref="CachePolicyTable.For"/>).
    /// </summary>
    public ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags, Func<T, IEnumerable<string>>? tagsOf,
        CacheEntryPolicy? policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var slot = policy is null ? _slots[(int)type] : SlotFor(type, policy);
        return GetOrSetEntryCore(slot, id, factory, StatelessFactory<T>.Call, tags, tagsOf, cancellationToken);
    }

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}(CacheType, string, Func{CancellationToken, Task{T}}, IEnumerable{string}?, CancellationToken)"/>
    /// with the factory's state passed in: a static factory then allocates nothing on a hit (no closure per call).
    /// </summary>
    public ValueTask<CachedValue<T>> GetOrSetEntryAsync<TState, T>(
        CacheType type, string id, TState state, Func<TState, CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default) =>
        GetOrSetEntryCore(_slots[(int)type], id, state, factory, tags, tagsOf: null, cancellationToken);

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}"/> for values whose tags are known only once loaded (a list page tagged with every
    /// book on it): <paramref name="tagsOf"/> runs on the factory's value and its tags are stored with the entry.
    /// </summary>
    public ValueTask<CachedValue<T>> GetOrSetTaggedEntryAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, Func<T, IEnumerable<string>> tagsOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(tagsOf);
        return GetOrSetEntryCore(_slots[(int)type], id, factory, StatelessFactory<T>.Call, tags: null, tagsOf, cancellationToken);
    }

    public async ValueTask RemoveAsync(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = slot.KeyFor(id);
        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.IsPersistent)
        {
            await _redis.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        else if (_stamps is not null)
        {
            if (await _stamps.BumpAsync(key, cancellationToken).ConfigureAwait(false))
            {
                NoteAcknowledged(new PendingInvalidation(type, id, null));
            }
            else
            {
                // Redis is away: FusionCache removes the L1 copy now; the stamp, the Redis copy and the other replicas' L1
                // copies are dealt with when the connection is back.
                _pending.TryAdd(new PendingInvalidation(type, id, null), 0);
            }
        }

        await slot.Cache.RemoveAsync(key, slot.Policy.IsPersistent ? slot.MemoryOnly : slot.RemoveOptions, cancellationToken).ConfigureAwait(false);
        _metrics.RecordOperation("remove", slot.Counters, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Removes everything tagged with <paramref name="tag"/>: the tag is expired in every type's cache at once.</summary>
    public async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var started = Stopwatch.GetTimestamp();
        if (_stamps is { CanReachRedis: false })
        {
            _pending.TryAdd(new PendingInvalidation(null, null, tag), 0);
        }
        else if (_stamps is not null)
        {
            NoteAcknowledged(new PendingInvalidation(null, null, tag));
        }

        await ExpireTagInEveryTypeAsync(tag, cancellationToken).ConfigureAwait(false);
        _metrics.RecordOperation("remove_by_tag", "tag", Stopwatch.GetElapsedTime(started));
    }

    private Task ExpireTagInEveryTypeAsync(string tag, CancellationToken cancellationToken) =>
        Task.WhenAll(_slots.Select(slot => slot.Cache.RemoveByTagAsync(tag, token: cancellationToken).AsTask()));

    public async ValueTask ClearTypeAsync(CacheType type, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.IsPersistent || _persistentEntriesOf.Contains(type))
        {
            // Their Redis copies never expire: delete them first, so no replica reloads one into its L1 after the clear.
            var deleted = await _redis.DeleteByPrefixAsync(slot.KeyPrefix, cancellationToken).ConfigureAwait(false);
            if (!deleted.Succeeded)
            {
                throw new InvalidOperationException(
                    $"Clearing the persistent type {type} failed in Redis ({deleted.Error}); nothing was cleared. Retry once Redis answers.");
            }
        }

        // Remove, not expire: a flushed entry must not come back as a fail-safe stale value.
        await slot.Cache.ClearAsync(allowFailSafe: false, token: cancellationToken).ConfigureAwait(false);
        _metrics.RecordOperation("clear", slot.Counters, Stopwatch.GetElapsedTime(started));
        LogCleared(slot.Name);
    }

    /// <summary>Everything tied to the user: profile, cart, sessions, recommendations and function results tagged with them.</summary>
    public async ValueTask InvalidateUserAsync(long userId, CancellationToken cancellationToken = default)
    {
        var id = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RemoveAsync(CacheType.Users, id, cancellationToken).ConfigureAwait(false);
        await RemoveAsync(CacheType.Cart, id, cancellationToken).ConfigureAwait(false);
        await RemoveAsync(CacheType.Recommendations, id, cancellationToken).ConfigureAwait(false);
        await RemoveByTagAsync(CacheTags.User(userId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The book, every list page holding it and every recommendation naming it (all tagged with the book).</summary>
    public async ValueTask InvalidateBookAsync(long bookId, CancellationToken cancellationToken = default)
    {
        await RemoveAsync(CacheType.Books, bookId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        await RemoveByTagAsync(CacheTags.Book(bookId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Run by the connection manager when a connection is back after a failure, before the health turns Healthy. This
    /// replica's L1 may hold values other replicas invalidated while the backplane was away: it is emptied. Then the
    /// invalidations this replica could not send are sent again, stamp first (<see cref="InvalidationStamps"/>), and so
    /// are those Redis acknowledged in the last <see cref="RecentWindow"/> (a failover may have discarded them). False
    /// when Redis went away again before all were sent (the rest stay pending).
    /// </summary>
    private async Task<bool> ResyncAsync(CancellationToken cancellationToken)
    {
        _l1?.Memory.Clear();
        foreach (var item in _pending.Keys)
        {
            if (!await SendAgainAsync(item, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            _pending.TryRemove(item, out _);
        }

        // The invalidations Redis acknowledged lately, again: a failover may have discarded them with the old primary.
        var started = Stopwatch.GetTimestamp();
        var since = started - (long)(RecentWindow.TotalSeconds * Stopwatch.Frequency);
        var recent = _recent.Where(r => r.At >= since).Select(r => r.Item).Distinct().ToArray();
        foreach (var chunk in recent.Chunk(64))
        {
            var sent = await Task.WhenAll(chunk.Select(item => SendAgainAsync(item, cancellationToken))).ConfigureAwait(false);
            if (sent.Contains(false))
            {
                return false;
            }
        }

        if (recent.Length > 0)
        {
            LogRecentSentAgain(recent.Length, recent.Count(r => r.Tag is not null), RecentWindow.TotalSeconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return true;
    }

    /// <summary>Sends one invalidation again (stamp first); false when Redis could not be reached.</summary>
    private async Task<bool> SendAgainAsync(PendingInvalidation item, CancellationToken cancellationToken)
    {
        if (item.Tag is { } tag)
        {
            if (_stamps is { CanReachRedis: false })
            {
                return false;
            }

            await ExpireTagInEveryTypeAsync(tag, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var slot = _slots[(int)item.Type!.Value];
        var key = slot.KeyFor(item.Id!);
        if (_stamps is not null && !await _stamps.BumpAsync(key, cancellationToken, deleteEntry: true).ConfigureAwait(false))
        {
            return false;
        }

        // The Redis copy is gone; this tells the other replicas (their L1) through the backplane.
        await slot.Cache.RemoveAsync(key, slot.Options, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Keeps an acknowledged invalidation for <see cref="RecentWindow"/> (see <see cref="_recent"/>).</summary>
    private void NoteAcknowledged(PendingInvalidation item)
    {
        var now = Stopwatch.GetTimestamp();
        _recent.Enqueue((now, item));
        var since = now - (long)(RecentWindow.TotalSeconds * Stopwatch.Frequency);
        while (_recent.TryPeek(out var oldest) && (oldest.At < since || _recent.Count > RecentCapacity) && _recent.TryDequeue(out _))
        {
        }
    }

    /// <summary>An invalidation kept until Redis is back: one entry (type and id) or one tag.</summary>
    private sealed record PendingInvalidation(CacheType? Type, string? Id, string? Tag);

    /// <summary>The key segment of a type: <c>books</c>, <c>book-lists</c>, ...</summary>
    internal static string SegmentOf(CacheType type) => type switch
    {
        CacheType.BookLists => "book-lists",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The start of every key of a type: <c>bookstore:v1:{segment}:</c>.</summary>
    internal static string KeyPrefixOf(CacheType type) => CacheKeyBuilder.VersionedPrefix + SegmentOf(type) + ":";

    /// <summary>The name of the type's FusionCache (also its <c>fusioncache.cache.name</c> in FusionCache's metrics).</summary>
    internal static string CacheNameOf(CacheType type) => "bookstore-" + SegmentOf(type);

    private static async ValueTask<T> ValueOf<T>(ValueTask<CachedValue<T>> entry) => (await entry.ConfigureAwait(false)).Value;

    private TypeSlot SlotFor(CacheType type, CacheEntryPolicy entry) =>
        _entrySlots.GetOrAdd((type, entry), static (k, self) =>
        {
            var typeSlot = self._slots[(int)k.Type];
            var policy = self._policies.For(k.Type, k.Entry);
            return policy == typeSlot.Policy ? typeSlot : new TypeSlot(policy, typeSlot.Cache, self._metrics);
        }, this);

    private ValueTask<CachedValue<T>> GetOrSetEntryCore<TState, T>(
        TypeSlot slot, string id, TState state, Func<TState, CancellationToken, Task<T>> factory, IEnumerable<string>? tags,
        Func<T, IEnumerable<string>>? tagsOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var key = slot.KeyFor(id);
        if (slot.Policy.Bypass)
        {
            return BypassAsync(state, factory, cancellationToken);
        }

        // The L1 fast path: one memory lookup (FusionCache's own hit path) and one striped counter increment.
        if (slot.Policy.UseL1)
        {
            var probe = slot.Cache.TryGetAsync<T>(key, slot.MemoryOnly, cancellationToken);
            if (!probe.IsCompletedSuccessfully)
            {
                return GetOrSetAfterProbeAsync(slot, key, probe, state, factory, tags, tagsOf, cancellationToken);
            }

            var memory = probe.Result;
            if (memory.HasValue)
            {
                slot.Counters.RecordUntimedL1Hit();
                return new ValueTask<CachedValue<T>>(new CachedValue<T>(memory.Value, CacheSource.L1));
            }
        }

        return GetOrSetMissAsync(slot, key, state, factory, tags, tagsOf, Stopwatch.GetTimestamp(), cancellationToken);
    }

    private static async ValueTask<CachedValue<T>> BypassAsync<TState, T>(TState state, Func<TState, CancellationToken, Task<T>> factory, CancellationToken cancellationToken) =>
        new(await factory(state, cancellationToken).ConfigureAwait(false), CacheSource.Bypass);

    private async ValueTask<CachedValue<T>> GetOrSetAfterProbeAsync<TState, T>(
        TypeSlot slot, string key, ValueTask<MaybeValue<T>> probe, TState state, Func<TState, CancellationToken, Task<T>> factory, IEnumerable<string>? tags,
        Func<T, IEnumerable<string>>? tagsOf, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var memory = await probe.ConfigureAwait(false);
        if (memory.HasValue)
        {
            Record(slot, "get_or_set", started, CacheLevel.L1, CacheOutcome.Hit);
            return new CachedValue<T>(memory.Value, CacheSource.L1);
        }

        return await GetOrSetMissAsync(slot, key, state, factory, tags, tagsOf, started, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<CachedValue<T>> GetOrSetMissAsync<TState, T>(
        TypeSlot slot, string key, TState state, Func<TState, CancellationToken, Task<T>> factory, IEnumerable<string>? tags,
        Func<T, IEnumerable<string>>? tagsOf, long started, CancellationToken cancellationToken)
    {
        // A fenced read: its L2 write happens only if no invalidation of the key came between its source call and it.
        using var fence = _stamps is not null && !slot.Policy.IsPersistent ? InvalidationStamps.Begin(key, InvalidationStamps.StampKeyOf(key)) : null;
        var call = new FactoryCall<TState, T>(state, factory, slot.Policy.IsPersistent ? this : null, slot, key, tagsOf, fence is null ? null : (_stamps!, fence));
        T value;
        try
        {
            value = await slot.Cache.GetOrSetAsync<T>(
                key,
                call.RunAsync,
                options: slot.Policy.IsPersistent ? slot.MemoryOnly : slot.Options,
                tags: tags,
                token: cancellationToken).ConfigureAwait(false);
            if (fence is { Rejected: true })
            {
                // Invalidated while it loaded: the value stays out of Redis and out of this replica's L1 too.
                await slot.Cache.RemoveAsync(key, slot.MemoryOnlyNoNotify, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The source failed and no stale value could stand in: the caller gets the source's exception.
            Record(slot, "get_or_set", started, CacheLevel.L2, CacheOutcome.Error);
            _metrics.RecordError("get_or_set", "factory");
            throw;
        }

        var source = call.Outcome;
        Record(slot, "get_or_set", started, source == CacheSource.L1 ? CacheLevel.L1 : CacheLevel.L2, source switch
        {
            CacheSource.Factory => CacheOutcome.Miss,
            CacheSource.Stale => CacheOutcome.Stale,
            _ => CacheOutcome.Hit,
        });
        if (source == CacheSource.Stale)
        {
            LogServedStale(slot.Name, key);
        }

        return new CachedValue<T>(value, source);
    }

    private async ValueTask<CacheLookup<T>> GetAfterProbeAsync<T>(TypeSlot slot, string key, ValueTask<MaybeValue<T>> probe, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var memory = await probe.ConfigureAwait(false);
        if (memory.HasValue)
        {
            Record(slot, "get", started, CacheLevel.L1, CacheOutcome.Hit);
            return new CacheLookup<T>(true, memory.Value);
        }

        return await GetFromRedisAsync<T>(slot, key, started, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<CacheLookup<T>> GetFromRedisAsync<T>(TypeSlot slot, string key, long started, CancellationToken cancellationToken)
    {
        if (slot.Policy.IsPersistent)
        {
            var stored = await _redis.GetAsync<T>(key, cancellationToken).ConfigureAwait(false);
            if (stored.Found)
            {
                await slot.Cache.SetAsync(key, stored.Value, slot.MemoryOnlyNoNotify, token: cancellationToken).ConfigureAwait(false);
            }

            Record(slot, "get", started, CacheLevel.L2, stored.Found ? CacheOutcome.Hit : CacheOutcome.Miss);
            return stored;
        }

        var value = await slot.Cache.TryGetAsync<T>(key, slot.Options, cancellationToken).ConfigureAwait(false);
        Record(slot, "get", started, CacheLevel.L2, value.HasValue ? CacheOutcome.Hit : CacheOutcome.Miss);
        return value.HasValue ? new CacheLookup<T>(true, value.Value) : CacheLookup<T>.Miss;
    }

    private void Record(TypeSlot slot, string operation, long started, CacheLevel level, CacheOutcome outcome)
    {
        CacheMetrics.RecordRequest(slot.Counters, level, outcome);
        _metrics.RecordOperation(operation, slot.Counters, Stopwatch.GetElapsedTime(started));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Served a stale {CacheType} value for {Key}: its source failed (fail-safe)")]
    private partial void LogServedStale(string cacheType, string key);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Cache type {CacheType} is bypassed: every read goes to its source (the type's Bypass policy setting, for diagnosis and benchmarks only)")]
    private partial void LogBypassed(CacheType cacheType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {CacheType} entry could not be written to Redis ({ErrorType}); the caller was told it is not stored")]
    private partial void LogWriteFailed(string cacheType, string errorType, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {CacheType} entry could not be read from Redis ({ErrorType}); the caller was told it is unavailable, not missing")]
    private partial void LogReadFailed(string cacheType, string errorType, Exception exception);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Connection back: sent again the {Count} invalidations ({Tags} of them tags) Redis acknowledged in the last {WindowSeconds} s, in {ElapsedMs} ms")]
    private partial void LogRecentSentAgain(int count, int tags, double windowSeconds, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cleared cache type {CacheType} in every level and replica")]
    private partial void LogCleared(string cacheType);

    /// <summary>Per-type state computed once: the type's FusionCache, entry options, counters and the keys of small ids.</summary>
    private sealed class TypeSlot
    {
        /// <summary>
        /// Ids 0 to 4095 (canonical decimal) keep their key once built, so a hit on them allocates no key: most ids are
        /// numbers, and goodbooks-10k numbers its books roughly by popularity. 32 KB of slots per type that sees a small
        /// numeric id, filled on use.
        /// </summary>
        private const int CachedNumericIds = 4096;

        private string?[]? _numericKeys;

        public TypeSlot(CachePolicy policy, IFusionCache cache, CacheMetrics metrics)
        {
            Policy = policy;
            Cache = cache;
            Name = SegmentOf(policy.Type);
            KeyPrefix = KeyPrefixOf(policy.Type);
            Counters = metrics.CountersFor(Name);
            var duration = policy.Duration ?? policy.L1Duration;
            Options = new FusionCacheEntryOptions
            {
                Duration = duration,
                MemoryCacheDuration = policy.UseL1 ? Min(policy.L1Duration, duration) : null,
                SkipMemoryCacheRead = !policy.UseL1,
                SkipMemoryCacheWrite = !policy.UseL1,
                IsFailSafeEnabled = policy.FailSafe,
                FailSafeMaxDuration = policy.FailSafe ? policy.FailSafeMaxDuration : duration,
                FailSafeThrottleDuration = TimeSpan.FromSeconds(30),
                EagerRefreshThreshold = policy.EagerRefreshThreshold,
                JitterMaxDuration = policy.JitterMaxDuration,
                DistributedCacheSoftTimeout = TimeSpan.FromMilliseconds(500),
                DistributedCacheHardTimeout = TimeSpan.FromSeconds(2),
                AllowBackgroundDistributedCacheOperations = false,
                AllowBackgroundBackplaneOperations = true,
                ReThrowSerializationExceptions = false,
                Size = 1,
            };
            MemoryOnly = Options.Duplicate();
            MemoryOnly.SkipDistributedCacheRead = true;
            MemoryOnly.SkipDistributedCacheWrite = true;
            MemoryOnly.SkipMemoryCacheRead = false;
            MemoryOnly.SkipMemoryCacheWrite = false;
            MemoryOnly.Duration = policy.L1Duration > TimeSpan.Zero ? policy.L1Duration : TimeSpan.FromSeconds(1);
            MemoryOnly.MemoryCacheDuration = null;
            MemoryOnly.IsFailSafeEnabled = false;
            MemoryOnlyNoNotify = MemoryOnly.Duplicate();
            MemoryOnlyNoNotify.SkipBackplaneNotifications = true;
            ConfirmedOptions = Options.Duplicate();
            ConfirmedOptions.AllowBackgroundDistributedCacheOperations = false;
            ConfirmedOptions.ReThrowDistributedCacheExceptions = true;
            ConfirmedOptions.DistributedCacheHardTimeout = Timeout.InfiniteTimeSpan;
            BulkOptions = CacheBulkWriter.OptionsFor(Options);
            RemoveOptions = Options.Duplicate();
            RemoveOptions.AllowBackgroundBackplaneOperations = false;
        }

        public CachePolicy Policy { get; }

        public IFusionCache Cache { get; }

        public string Name { get; }

        /// <summary><c>bookstore:v1:{segment}:</c>, the start of every key of the type.</summary>
        public string KeyPrefix { get; }

        public CacheMetrics.CacheTypeCounters Counters { get; }

        public FusionCacheEntryOptions Options { get; }

        public FusionCacheEntryOptions MemoryOnly { get; }

        public FusionCacheEntryOptions MemoryOnlyNoNotify { get; }

        /// <summary><see cref="Options"/> with the Redis write awaited and its failure thrown (<see cref="CacheService.TrySetAsync{T}"/>).</summary>
        public FusionCacheEntryOptions ConfirmedOptions { get; }

        /// <summary><see cref="Options"/> for <see cref="CacheService.SetManyAsync{T}"/> (<see cref="CacheBulkWriter.OptionsFor"/>).</summary>
        public FusionCacheEntryOptions BulkOptions { get; }

        /// <summary>
        /// <see cref="Options"/> with the backplane message awaited (bounded by the cache timeout): a removal returns once
        /// the other replicas have been told, so a read through another replica right after the write is not served from
        /// its L1 copy.
        /// </summary>
        public FusionCacheEntryOptions RemoveOptions { get; }

        /// <summary>The full key of <paramref name="id"/>, built and validated by <see cref="CacheKeyBuilder.ForId"/>.</summary>
        public string KeyFor(string id)
        {
            if (!TryParseSmallId(id, out var number))
            {
                return CacheKeyBuilder.ForId(Name, id);
            }

            // Racing threads may both build a key or the array; each builds the same value, and one copy stays.
            var keys = _numericKeys ??= new string?[CachedNumericIds];
            return keys[number] ??= CacheKeyBuilder.ForId(Name, id);
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        /// <summary>Digits only, without a leading zero ("042" is another id than "42" and keeps its own key).</summary>
        private static bool TryParseSmallId(string id, out int number)
        {
            number = 0;
            if (id is null || id.Length is 0 or > 4 || (id.Length > 1 && id[0] == '0'))
            {
                return false;
            }

            foreach (var c in id)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                number = (number * 10) + (c - '0');
            }

            return number < CachedNumericIds;
        }
    }

    /// <summary>The state-passing form of a factory that takes no state: the factory itself is the state.</summary>
    private static class StatelessFactory<T>
    {
        public static readonly Func<Func<CancellationToken, Task<T>>, CancellationToken, Task<T>> Call = static (factory, ct) => factory(ct);
    }

    /// <summary>One factory run: records whether it ran and failed, and writes persistent values through without a TTL.</summary>
    private sealed class FactoryCall<TState, T>(
        TState state, Func<TState, CancellationToken, Task<T>> factory, CacheService? persistentOwner, TypeSlot slot, string key,
        Func<T, IEnumerable<string>>? tagsOf, (InvalidationStamps Stamps, InvalidationStamps.WriteFence Fence)? fenced = null)
    {
        private bool _ran;
        private bool _failed;

        public CacheSource Outcome => (_ran, _failed) switch
        {
            (false, _) => CacheSource.L2,
            (true, true) => CacheSource.Stale,
            _ => CacheSource.Factory,
        };

        public async Task<T> RunAsync(FusionCacheFactoryExecutionContext<T> context, CancellationToken cancellationToken)
        {
            if (persistentOwner is not null)
            {
                var stored = await persistentOwner._redis.GetAsync<T>(key, cancellationToken).ConfigureAwait(false);
                if (stored.Found)
                {
                    return stored.Value!;
                }
            }

            _ran = true;
            if (fenced is var (stamps, fence))
            {
                await stamps.ArmAsync(fence, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var value = await factory(state, cancellationToken).ConfigureAwait(false);
                if (tagsOf is not null)
                {
                    // FusionCache's adaptive tags: set in the factory, stored with the entry it writes.
                    context.Tags = [.. context.Tags ?? [], .. tagsOf(value)];
                }

                if (persistentOwner is not null)
                {
                    await persistentOwner._redis.SetAsync(key, value, RedisService.NoExpiry, cancellationToken).ConfigureAwait(false);
                }

                return value;
            }
            catch (Exception) when (slot.Policy.FailSafe && context.HasStaleValue)
            {
                _failed = true;
                throw;
            }
        }
    }
}
