namespace Bookstore.Caching.Typed;

/// <summary>
/// A strategy and/or duration that replace the type's for some entries only: a <c>[CacheResult]</c> method's
/// <c>Strategy</c> and <c>TtlSeconds</c>, as the seed's <c>@cache_result(ttl=900, strategy=LRU)</c>. Everything else
/// (L1 use, fail-safe, eager refresh, the keys) stays the type's; see <see cref="CachePolicyTable.For"/>.
/// </summary>
public sealed record CacheEntryPolicy(CacheStrategy? Strategy = null, TimeSpan? Duration = null);

/// <summary>
/// Says that some entries of <see cref="Type"/> are <see cref="CacheStrategy.Persistent"/> although the type is not (a
/// <c>[CacheResult(Strategy = Persistent)]</c> method): their Redis copies have no TTL, so
/// <see cref="ICacheService.ClearTypeAsync"/> deletes the type's keys instead of leaving them to expire. Registered by
/// <c>AddCachedResults</c>, so every process that can write such entries knows.
/// </summary>
public sealed record PersistentEntriesOf(CacheType Type);
