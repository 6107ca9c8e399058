using Bookstore.Caching.Configuration;

namespace Bookstore.AppHost.Profiles;

public enum MonitoringLevel
{
    Basic,
    Full,
    FullWithAlerts,
}

/// <summary>
/// The numbers that differ between deployment profiles. <see cref="All"/> is the one place they are defined;
/// everything else (redis-server arguments, service environment) is derived from it.
/// <paramref name="AppendFsync"/> is redis-server's AOF fsync policy: <c>everysec</c> can lose about the last second of
/// acknowledged writes when the host (not only the process) crashes; <c>always</c> loses none but waits for the disk on
/// every write. Every profile keeps <c>everysec</c>: the catalog store, not Redis, is the source of truth.
/// <paramref name="TraceSamplingRatio"/> is the share of requests traced (parent-based): every one while developing, one
/// in ten in Production. <paramref name="CacheInstrumentation"/> adds FusionCache's spans and meters and a span per Redis
/// command: useful on the dashboard while developing, a cost on every cache call (docs/performance.md).
/// <c>GetBookstoreProfile</c> returns the profile with the server settings the configuration overrides
/// (<c>REDIS_MAXMEMORY</c>, <c>REDIS_MAX_CONNECTIONS</c>, <c>REDIS_CACHE_STRATEGY</c>, <c>REDIS_LOG_LEVEL</c>,
/// <c>Bookstore:Redis:MonitoringLevel</c>); the numbers here are their defaults.
/// </summary>
public sealed record BookstoreProfile(
    string Name,
    string MaxMemory,
    int MaxClients,
    int CompressionThresholdBytes,
    MonitoringLevel Monitoring,
    int ReadReplicas,
    string AppendFsync,
    double TraceSamplingRatio,
    bool CacheInstrumentation,
    WarmingPlan Warming)
{
    public const string ConfigurationKey = "Bookstore:Profile";

    /// <summary>
    /// The server's <c>maxmemory-policy</c>. A <c>volatile-*</c> policy evicts only keys with a TTL, so Persistent cache
    /// entries (no TTL) are never evicted; <c>REDIS_CACHE_STRATEGY</c> picks the family (lru, lfu, ttl).
    /// </summary>
    public string EvictionPolicy { get; init; } = "volatile-lru";

    /// <summary>redis-server's <c>loglevel</c> (debug, verbose, notice, warning; <c>REDIS_LOG_LEVEL</c>).</summary>
    public string ServerLogLevel { get; init; } = "notice";

    /// <summary>
    /// How Redis is deployed (<c>Bookstore:Redis:Topology</c>, which overrides it): one server in Local and Development,
    /// a primary with <see cref="ReadReplicas"/> replicas and three Sentinels in Production.
    /// </summary>
    public RedisTopology Topology { get; init; } = RedisTopology.Single;

    /// <summary>How many instances of the api run (Production: 2, behind the AppHost's endpoint).</summary>
    public int ApiReplicas { get; init; } = 1;

    /// <summary>The api's rate limits (its <c>Bookstore:RateLimits</c> section).</summary>
    public required RateLimitPlan RateLimits { get; init; }

    public static BookstoreProfile Local { get; } = new("Local", "512mb", 50, 1024, MonitoringLevel.Basic, 0, "everysec", 1.0, true, new(TopBooks: 200, ActiveReaders: 50, IntervalMinutes: 15))
    {
        RateLimits = new(SignInsPerMinute: 10, ReadsPerSecond: 200, ReadBurst: 400),
    };

    public static BookstoreProfile Development { get; } = new("Development", "1gb", 100, 1024, MonitoringLevel.Full, 0, "everysec", 1.0, true, new(TopBooks: 1000, ActiveReaders: 200, IntervalMinutes: 15))
    {
        RateLimits = new(SignInsPerMinute: 10, ReadsPerSecond: 200, ReadBurst: 400),
    };

    public static BookstoreProfile Production { get; } = new("Production", "2gb", 200, 2048, MonitoringLevel.FullWithAlerts, 1, "everysec", 0.1, false, new(TopBooks: 5000, ActiveReaders: 1000, IntervalMinutes: 10))
    {
        Topology = RedisTopology.Replicated,
        ApiReplicas = 2,
        RateLimits = new(SignInsPerMinute: 5, ReadsPerSecond: 100, ReadBurst: 200),
    };

    public static IReadOnlyList<BookstoreProfile> All { get; } = [Local, Development, Production];

    public static BookstoreProfile Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return Local;
        }

        return All.FirstOrDefault(p => string.Equals(p.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException(
                $"'{ConfigurationKey}' is '{name}', which is not a profile. Use one of: {string.Join(", ", All.Select(p => p.Name))}.");
    }
}

/// <summary>
/// The api's rate limits per client address (sign-ins also per user): sign-in attempts a minute, and a token bucket of
/// anonymous requests (<paramref name="ReadBurst"/> at once, refilled with <paramref name="ReadsPerSecond"/> a second).
/// </summary>
public sealed record RateLimitPlan(int SignInsPerMinute, int ReadsPerSecond, int ReadBurst);

/// <summary>What the cache warmer warms per run and how often (the worker's <c>Bookstore:Warming</c> section).</summary>
public sealed record WarmingPlan(int TopBooks, int ActiveReaders, int IntervalMinutes);
