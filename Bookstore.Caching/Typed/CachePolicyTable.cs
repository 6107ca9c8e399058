namespace Bookstore.Caching.Typed;

/// <summary>
/// The one table of per-type cache policies. Defaults follow the seed document (Books 2 h and Users 30 min LRU,
/// Analytics 1 h LFU, Cart 5 min and Sessions 30 min TTL, Persistent types never expire); each field can be
/// overridden per profile through <c>Bookstore:Cache:Policies:{Type}</c>.
/// </summary>
public sealed class CachePolicyTable
{
    private readonly CachePolicy[] _policies;

    public CachePolicyTable(IReadOnlyDictionary<CacheType, CachePolicyOverride>? overrides = null)
    {
        var types = Enum.GetValues<CacheType>();
        _policies = new CachePolicy[types.Length];
        foreach (var type in types)
        {
            var policy = Default(type);
            if (overrides is not null && overrides.TryGetValue(type, out var change))
            {
                policy = Apply(policy, change);
            }

            _policies[(int)type] = Validate(policy);
        }
    }

    public CachePolicy this[CacheType type] => _policies[(int)type];

    public IReadOnlyList<CachePolicy> All => _policies;

    /// <summary>
    /// The type's policy with <paramref name="entry"/>'s strategy and duration. A shorter duration also caps the L1
    /// duration (as for any type) and the jitter, at a tenth of the duration, so a 1 s entry is not kept for the type's
    /// minutes of jitter. Persistent gives no duration; leaving Persistent without a duration gives 1 h.
    /// </summary>
    public CachePolicy For(CacheType type, CacheEntryPolicy entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var policy = Apply(this[type], new CachePolicyOverride { Strategy = entry.Strategy, Duration = entry.Duration });
        if (entry.Duration is { } duration && policy.JitterMaxDuration > duration / 10)
        {
            policy = policy with { JitterMaxDuration = duration / 10 };
        }

        return Validate(policy);
    }

    public static CachePolicy Default(CacheType type) => DefaultWithoutRouting(type) with
    {
        ReadFromReplica = type is CacheType.Books or CacheType.BookLists or CacheType.Users or CacheType.Recommendations or CacheType.Reference,
    };

    private static CachePolicy DefaultWithoutRouting(CacheType type) => type switch
    {
        CacheType.Books => new(type, CacheStrategy.Lru, TimeSpan.FromHours(2), true, TimeSpan.FromMinutes(10), TimeSpan.FromHours(6), 0.9f, TimeSpan.FromMinutes(2)),
        CacheType.BookLists => new(type, CacheStrategy.Lru, TimeSpan.FromMinutes(10), true, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), 0.9f, TimeSpan.FromSeconds(30)),
        CacheType.Users => new(type, CacheStrategy.Lru, TimeSpan.FromMinutes(30), true, TimeSpan.FromMinutes(5), TimeSpan.FromHours(2), 0.9f, TimeSpan.FromMinutes(1)),

        // A cart or a session served stale would show a reader something they already changed: no fail-safe, no L1.
        CacheType.Cart => new(type, CacheStrategy.Ttl, TimeSpan.FromMinutes(5), false, TimeSpan.Zero, TimeSpan.Zero, null, TimeSpan.Zero),
        CacheType.Sessions => new(type, CacheStrategy.Ttl, TimeSpan.FromMinutes(30), false, TimeSpan.Zero, TimeSpan.Zero, null, TimeSpan.Zero),
        CacheType.Analytics => new(type, CacheStrategy.Lfu, TimeSpan.FromHours(1), true, TimeSpan.FromMinutes(1), TimeSpan.FromHours(6), 0.8f, TimeSpan.FromMinutes(5)),
        CacheType.Recommendations => new(type, CacheStrategy.Lru, TimeSpan.FromMinutes(30), true, TimeSpan.FromMinutes(5), TimeSpan.FromHours(2), 0.9f, TimeSpan.FromMinutes(1)),
        CacheType.Reference => new(type, CacheStrategy.Persistent, null, true, TimeSpan.FromMinutes(10), TimeSpan.Zero, null, TimeSpan.Zero),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "No policy for this cache type."),
    };

    private static CachePolicy Apply(CachePolicy policy, CachePolicyOverride change)
    {
        var strategy = change.Strategy ?? policy.Strategy;
        return policy with
        {
            Strategy = strategy,
            Duration = strategy == CacheStrategy.Persistent ? null : change.Duration ?? policy.Duration ?? TimeSpan.FromHours(1),
            UseL1 = change.UseL1 ?? policy.UseL1,
            L1Duration = change.L1Duration ?? policy.L1Duration,
            FailSafeMaxDuration = change.FailSafeMaxDuration ?? policy.FailSafeMaxDuration,
            EagerRefreshThreshold = change.EagerRefreshThreshold ?? policy.EagerRefreshThreshold,
            JitterMaxDuration = change.JitterMaxDuration ?? policy.JitterMaxDuration,
            Bypass = change.Bypass ?? policy.Bypass,
            ReadFromReplica = change.ReadFromReplica ?? policy.ReadFromReplica,
        };
    }

    private static CachePolicy Validate(CachePolicy policy)
    {
        string? problem = policy switch
        {
            { IsPersistent: false, Duration: null } => "a non-persistent type needs a Duration",
            { Duration: { } d } when d <= TimeSpan.Zero => "Duration must be positive",
            { UseL1: true } when policy.L1Duration <= TimeSpan.Zero => "L1Duration must be positive when UseL1 is true",
            { EagerRefreshThreshold: { } t } when t is <= 0f or >= 1f => "EagerRefreshThreshold must be between 0 and 1 (exclusive)",
            _ when policy.FailSafeMaxDuration < TimeSpan.Zero || policy.JitterMaxDuration < TimeSpan.Zero => "durations may not be negative",
            _ => null,
        };
        return problem is null
            ? policy
            : throw new InvalidOperationException($"Cache policy for '{policy.Type}' (Bookstore:Cache:Policies:{policy.Type}) is invalid: {problem}.");
    }
}
