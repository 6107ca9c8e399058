using System.Diagnostics;
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
/// Persistent types keep their Redis copy without a TTL (written through <see cref="IRedisService"/>) so a
/// <c>volatile-*</c> server never evicts them; FusionCache holds only their L1 copy.
/// </summary>
public sealed partial class CacheService : ICacheService
{
    private readonly IFusionCache _cache;
    private readonly IRedisService _redis;
    private readonly CacheMetrics _metrics;
    private readonly ILogger<CacheService> _logger;
    private readonly CachePolicyTable _policies;
    private readonly TypeSlot[] _slots;

    public CacheService(IFusionCache cache, IRedisService redis, CachePolicyTable policies, CacheMetrics metrics, ILogger<CacheService> logger)
    {
        _cache = cache;
        _redis = redis;
        _metrics = metrics;
        _logger = logger;
        _policies = policies;
        _slots = [.. policies.All.Select(p => new TypeSlot(p))];
    }

    public CachePolicy PolicyOf(CacheType type) => _policies[type];

    public async ValueTask<CacheLookup<T>> GetAsync<T>(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = Key(slot, id);
        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.UseL1)
        {
            var memory = await _cache.TryGetAsync<T>(key, slot.MemoryOnly, cancellationToken).ConfigureAwait(false);
            if (memory.HasValue)
            {
                Record(slot, "get", started, CacheLevel.L1, CacheOutcome.Hit);
                return new CacheLookup<T>(true, memory.Value);
            }
        }

        if (slot.Policy.IsPersistent)
        {
            var stored = await _redis.GetAsync<T>(FullKey(key), cancellationToken).ConfigureAwait(false);
            if (stored.Found)
            {
                await _cache.SetAsync(key, stored.Value, slot.MemoryOnlyNoNotify, token: cancellationToken).ConfigureAwait(false);
            }

            Record(slot, "get", started, CacheLevel.L2, stored.Found ? CacheOutcome.Hit : CacheOutcome.Miss);
            return stored;
        }

        var value = await _cache.TryGetAsync<T>(key, slot.Options, cancellationToken).ConfigureAwait(false);
        Record(slot, "get", started, CacheLevel.L2, value.HasValue ? CacheOutcome.Hit : CacheOutcome.Miss);
        return value.HasValue ? new CacheLookup<T>(true, value.Value) : CacheLookup<T>.Miss;
    }

    public async ValueTask SetAsync<T>(CacheType type, T value, string id, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = Key(slot, id);
        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.IsPersistent)
        {
            await _redis.SetAsync(FullKey(key), value, RedisService.NoExpiry, cancellationToken).ConfigureAwait(false);
            await _cache.SetAsync(key, value, slot.MemoryOnly, WithTypeTag(slot, tags), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _cache.SetAsync(key, value, slot.Options, WithTypeTag(slot, tags), cancellationToken).ConfigureAwait(false);
        }

        _metrics.RecordOperation("set", slot.CountersIn(_metrics), Stopwatch.GetElapsedTime(started));
    }

    public ValueTask<T> GetOrSetAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        // An L1 hit completes synchronously: unwrap it without a second async state machine.
        var entry = GetOrSetEntryAsync(type, id, factory, tags, cancellationToken);
        return entry.IsCompletedSuccessfully ? new ValueTask<T>(entry.Result.Value) : ValueOf(entry);
    }

    /// <summary><see cref="GetOrSetAsync{T}"/> that also says where the value came from (for <c>X-Cache</c>).</summary>
    public ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) =>
        GetOrSetEntryCoreAsync(type, id, factory, tags, tagsOf: null, cancellationToken);

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}"/> for values whose tags are known only once loaded (a list page tagged with every
    /// book on it): <paramref name="tagsOf"/> runs on the factory's value and its tags are stored with the entry.
    /// </summary>
    public ValueTask<CachedValue<T>> GetOrSetTaggedEntryAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, Func<T, IEnumerable<string>> tagsOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tagsOf);
        return GetOrSetEntryCoreAsync(type, id, factory, tags: null, tagsOf, cancellationToken);
    }

    private async ValueTask<CachedValue<T>> GetOrSetEntryCoreAsync<T>(
        CacheType type, string id, Func<CancellationToken, Task<T>> factory, IEnumerable<string>? tags, Func<T, IEnumerable<string>>? tagsOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var slot = _slots[(int)type];
        var key = Key(slot, id);
        var started = Stopwatch.GetTimestamp();

        // The L1 fast path: one memory lookup, the same work as FusionCache's own hit path.
        if (slot.Policy.UseL1)
        {
            var memory = await _cache.TryGetAsync<T>(key, slot.MemoryOnly, cancellationToken).ConfigureAwait(false);
            if (memory.HasValue)
            {
                Record(slot, "get_or_set", started, CacheLevel.L1, CacheOutcome.Hit);
                return new CachedValue<T>(memory.Value, CacheSource.L1);
            }
        }

        var call = new FactoryCall<T>(factory, slot.Policy.IsPersistent ? this : null, slot, key, tagsOf);
        T value;
        try
        {
            value = await _cache.GetOrSetAsync<T>(
                key,
                call.RunAsync,
                options: slot.Policy.IsPersistent ? slot.MemoryOnly : slot.Options,
                tags: WithTypeTag(slot, tags),
                token: cancellationToken).ConfigureAwait(false);
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

    public async ValueTask RemoveAsync(CacheType type, string id, CancellationToken cancellationToken = default)
    {
        var slot = _slots[(int)type];
        var key = Key(slot, id);
        var started = Stopwatch.GetTimestamp();
        if (slot.Policy.IsPersistent)
        {
            await _redis.DeleteAsync(FullKey(key), cancellationToken).ConfigureAwait(false);
        }

        await _cache.RemoveAsync(key, slot.Policy.IsPersistent ? slot.MemoryOnly : slot.Options, cancellationToken).ConfigureAwait(false);
        _metrics.RecordOperation("remove", slot.CountersIn(_metrics), Stopwatch.GetElapsedTime(started));
    }

    public async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var started = Stopwatch.GetTimestamp();
        await _cache.RemoveByTagAsync(tag, token: cancellationToken).ConfigureAwait(false);
        _metrics.RecordOperation("remove_by_tag", "tag", Stopwatch.GetElapsedTime(started));
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

    internal static string FullKey(string relativeKey) => CacheKeyBuilder.VersionedPrefix + relativeKey;

    private static string Key(TypeSlot slot, string id) => slot.KeyFor(id);

    private static async ValueTask<T> ValueOf<T>(ValueTask<CachedValue<T>> entry) => (await entry.ConfigureAwait(false)).Value;

    private static IEnumerable<string> WithTypeTag(TypeSlot slot, IEnumerable<string>? tags) =>
        tags is null ? slot.TypeTag : [.. tags, slot.TypeTag[0]];

    private void Record(TypeSlot slot, string operation, long started, CacheLevel level, CacheOutcome outcome)
    {
        var counters = slot.CountersIn(_metrics);
        _metrics.RecordRequest(counters, level, outcome);
        _metrics.RecordOperation(operation, counters, Stopwatch.GetElapsedTime(started));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Served a stale {CacheType} value for {Key}: its source failed (fail-safe)")]
    private partial void LogServedStale(string cacheType, string key);

    /// <summary>Per-type state computed once: the segment name, the entry options, the type tag and the keys of small ids.</summary>
    private sealed class TypeSlot
    {
        /// <summary>
        /// Ids 0 to 4095 (canonical decimal) keep their relative key once built, so a hit on them allocates no key:
        /// most ids are numbers, and goodbooks-10k numbers its books roughly by popularity. 32 KB of slots per type
        /// that sees a small numeric id, filled on use.
        /// </summary>
        private const int CachedNumericIds = 4096;

        private string?[]? _numericKeys;
        private CacheMetrics.CacheTypeCounters? _counters;

        public TypeSlot(CachePolicy policy)
        {
            Policy = policy;
            Name = SegmentOf(policy.Type);
            TypeTag = [CacheTags.Type(policy.Type)];
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
        }

        public CachePolicy Policy { get; }

        public string Name { get; }

        public string[] TypeTag { get; }

        public FusionCacheEntryOptions Options { get; }

        public FusionCacheEntryOptions MemoryOnly { get; }

        public FusionCacheEntryOptions MemoryOnlyNoNotify { get; }

        /// <summary>The relative key of <paramref name="id"/>, built and validated by <see cref="CacheKeyBuilder.Relative"/>.</summary>
        public string KeyFor(string id)
        {
            if (!TryParseSmallId(id, out var number))
            {
                return CacheKeyBuilder.Relative(Name, id);
            }

            // Racing threads may both build a key or the array; each builds the same value, and one copy stays.
            var keys = _numericKeys ??= new string?[CachedNumericIds];
            return keys[number] ??= CacheKeyBuilder.Relative(Name, id);
        }

        /// <summary>This type's counters in <paramref name="metrics"/>, looked up on first use rather than on every call.</summary>
        public CacheMetrics.CacheTypeCounters CountersIn(CacheMetrics metrics) => _counters ??= metrics.CountersFor(Name);

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

        private static string SegmentOf(CacheType type) => type switch
        {
            CacheType.BookLists => "book-lists",
            _ => type.ToString().ToLowerInvariant(),
        };
    }

    /// <summary>One factory run: records whether it ran and failed, and writes persistent values through without a TTL.</summary>
    private sealed class FactoryCall<T>(
        Func<CancellationToken, Task<T>> factory, CacheService? persistentOwner, TypeSlot slot, string key, Func<T, IEnumerable<string>>? tagsOf)
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
                var stored = await persistentOwner._redis.GetAsync<T>(FullKey(key), cancellationToken).ConfigureAwait(false);
                if (stored.Found)
                {
                    return stored.Value!;
                }
            }

            _ran = true;
            try
            {
                var value = await factory(cancellationToken).ConfigureAwait(false);
                if (tagsOf is not null)
                {
                    // FusionCache's adaptive tags: set in the factory, stored with the entry it writes.
                    context.Tags = [.. context.Tags ?? [], .. tagsOf(value)];
                }

                if (persistentOwner is not null)
                {
                    await persistentOwner._redis.SetAsync(FullKey(key), value, RedisService.NoExpiry, cancellationToken).ConfigureAwait(false);
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
