using Bookstore.Caching.Redis;

namespace Bookstore.Caching.Typed;

/// <summary>
/// Typed caching by <see cref="CacheType"/> and id: memory (L1) in front of Redis (L2), with stampede protection,
/// fail-safe and tags, each type's policy from <see cref="CachePolicyTable"/>. The C# reading of the seed's
/// <c>cache_service.set(CacheType.BOOKS, book_data, book_id)</c> is <c>SetAsync(CacheType.Books, book, bookId)</c>.
/// Ids are application identifiers (numbers, or canonical strings built by the caller), never raw request text.
/// </summary>
public interface ICacheService
{
    ValueTask<CacheLookup<T>> GetAsync<T>(CacheType type, string id, CancellationToken cancellationToken = default);

    ValueTask SetAsync<T>(CacheType type, T value, string id, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The cached value, or the factory's (called once for concurrent misses on the same key). When the factory fails
    /// after expiry, the last value is served within the type's fail-safe window and counted as <c>stale</c>.
    /// </summary>
    ValueTask<T> GetOrSetAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default);

    /// <summary><see cref="GetOrSetAsync{T}"/> that also says where the value came from (for <c>X-Cache</c>).</summary>
    ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}(CacheType, string, Func{CancellationToken, Task{T}}, IEnumerable{string}?, CancellationToken)"/>
    /// with the factory's state passed in, so that a static factory allocates nothing on a hit.
    /// </summary>
    ValueTask<CachedValue<T>> GetOrSetEntryAsync<TState, T>(
        CacheType type,
        string id,
        TState state,
        Func<TState, CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default) =>
        GetOrSetEntryAsync(type, id, ct => factory(state, ct), tags, cancellationToken);

    /// <summary>
    /// <see cref="GetOrSetEntryAsync{T}(CacheType, string, Func{CancellationToken, Task{T}}, IEnumerable{string}?, CancellationToken)"/>
    /// for one entry that differs from its type: <paramref name="tagsOf"/> adds tags read from the loaded value (a list
    /// tagged with every book in it), and <paramref name="policy"/>, when given, replaces the type's strategy and duration
    /// for this entry (a <c>[CacheResult]</c> method's <c>TtlSeconds</c> and <c>Strategy</c>).
    /// </summary>
    ValueTask<CachedValue<T>> GetOrSetEntryAsync<T>(
        CacheType type,
        string id,
        Func<CancellationToken, Task<T>> factory,
        IEnumerable<string>? tags,
        Func<T, IEnumerable<string>>? tagsOf,
        CacheEntryPolicy? policy,
        CancellationToken cancellationToken = default);

    ValueTask RemoveAsync(CacheType type, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes many entries of one type as <see cref="SetAsync{T}"/> would (same keys, same Redis bytes, other replicas'
    /// L1 copies dropped), in pipelined batches rather than one awaited round trip per entry. Returns how many were
    /// written to Redis; a Redis failure is counted, not thrown.
    /// </summary>
    ValueTask<int> SetManyAsync<T>(CacheType type, IReadOnlyList<CacheWrite<T>> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Flushes one type: every entry of it becomes a miss in every level and on every replica (FusionCache's Clear of
    /// the type's own cache). Redis copies of TTL types are left to expire; those of Persistent types (and of types with
    /// <see cref="PersistentEntriesOf"/> entries) are deleted.
    /// </summary>
    ValueTask ClearTypeAsync(CacheType type, CancellationToken cancellationToken = default);

    /// <summary>Removes everything tagged with <paramref name="tag"/>, in every level and every replica.</summary>
    ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>Everything tied to the user: profile, cart, sessions, recommendations and function results tagged with them.</summary>
    ValueTask InvalidateUserAsync(long userId, CancellationToken cancellationToken = default);

    /// <summary>The book, the list pages that hold it and the recommendations that name it (all tagged with the book).</summary>
    ValueTask InvalidateBookAsync(long bookId, CancellationToken cancellationToken = default);
}
