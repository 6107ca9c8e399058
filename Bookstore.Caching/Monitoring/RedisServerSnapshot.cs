using System.Text.Json.Serialization;

namespace Bookstore.Caching.Monitoring;

/// <summary>Server figures read from INFO, SLOWLOG LEN and LATENCY LATEST by <see cref="RedisServerMonitor"/>.</summary>
/// <remarks>Nullable figures come last with defaults: the cache serializer omits nulls and requires every other field.</remarks>
public sealed record RedisServerSnapshot(
    DateTimeOffset TakenAt,
    string Endpoint,
    long UsedMemoryBytes,
    long MaxMemoryBytes,
    double MemoryFragmentationRatio,
    long ConnectedClients,
    long OpsPerSecond,
    long KeyspaceHits,
    long KeyspaceMisses,
    long EvictedKeys,
    long ExpiredKeys,
    long ConnectedReplicas,
    long SlowLogLength,
    IReadOnlyList<RedisLatencyEvent> LatencyEvents,
    string? RedisVersion = null,
    string? Role = null,
    string? MaxMemoryPolicy = null,
    long? ReplicationLagBytes = null);

public sealed record RedisLatencyEvent(string Event, long LatestMs, long MaxMs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RedisServerSnapshot))]
internal sealed partial class MonitoringJsonContext : JsonSerializerContext;
