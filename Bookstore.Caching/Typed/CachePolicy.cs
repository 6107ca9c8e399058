namespace Bookstore.Caching.Typed;

/// <summary>How entries of a type leave the cache.</summary>
public enum CacheStrategy
{
    /// <summary>TTL per type; under memory pressure the server evicts least recently used keys (<c>volatile-lru</c>).</summary>
    Lru,

    /// <summary>TTL per type; under memory pressure the server evicts least frequently used keys (<c>volatile-lfu</c>).</summary>
    Lfu,

    /// <summary>Expires at its TTL; nothing else about it is special.</summary>
    Ttl,

    /// <summary>No TTL in Redis, so a <c>volatile-*</c> server never evicts it; survives restarts with AOF on.</summary>
    Persistent,
}

/// <summary>One cache type's behaviour. <see cref="Duration"/> is null exactly for <see cref="CacheStrategy.Persistent"/>.</summary>
public sealed record CachePolicy(
    CacheType Type,
    CacheStrategy Strategy,
    TimeSpan? Duration,
    bool UseL1,
    TimeSpan L1Duration,
    TimeSpan FailSafeMaxDuration,
    float? EagerRefreshThreshold,
    TimeSpan JitterMaxDuration)
{
    public bool IsPersistent => Strategy == CacheStrategy.Persistent;

    public bool FailSafe => FailSafeMaxDuration > TimeSpan.Zero;

    /// <summary>The type is not cached at all: see <see cref="CachePolicyOverride.Bypass"/>.</summary>
    public bool Bypass { get; init; }

    /// <summary>
    /// Whether its L2 reads may go to a replica when Redis has them (<c>Bookstore:Redis:PreferReplica</c>): a replica can
    /// be a moment behind the primary. True for the catalog's read-mostly types; Cart and Sessions, which a reader has
    /// just changed, and Analytics counters always read the primary.
    /// </summary>
    public bool ReadFromReplica { get; init; }
}

/// <summary>Configuration overrides of one type's policy (<c>Bookstore:Cache:Policies:{Type}</c>); unset fields keep the default.</summary>
public sealed class CachePolicyOverride
{
    public CacheStrategy? Strategy { get; set; }

    public TimeSpan? Duration { get; set; }

    public bool? UseL1 { get; set; }

    public TimeSpan? L1Duration { get; set; }

    public TimeSpan? FailSafeMaxDuration { get; set; }

    public float? EagerRefreshThreshold { get; set; }

    public TimeSpan? JitterMaxDuration { get; set; }

    /// <summary>
    /// For diagnosis and benchmarks only, never in a profile: every read of the type goes to its source (the factory),
    /// nothing of it is read from or written to either level, and reads answer <c>X-Cache: bypass</c>. It measures
    /// what the cache saves (bench/read-path.sh); the service warns at start while it is on.
    /// </summary>
    public bool? Bypass { get; set; }

    /// <summary>See <see cref="CachePolicy.ReadFromReplica"/>.</summary>
    public bool? ReadFromReplica { get; set; }
}
