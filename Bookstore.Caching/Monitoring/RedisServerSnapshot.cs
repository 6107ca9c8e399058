using System.Text.Json.Serialization;

namespace Bookstore.Caching.Monitoring;

/// <summary>
/// Server figures read from INFO, SLOWLOG LEN and LATENCY LATEST by <see cref="RedisServerMonitor"/>: one server's. Where
/// Redis is more than one server (a cluster), the snapshot is the first primary's and <see cref="Nodes"/> holds every
/// node's, that one included; <see cref="Shard"/> numbers a cluster's shards by their first hash slot (1, 2, 3).
/// </summary>
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
    long? ReplicationLagBytes = null,
    long? MaxClients = null,
    IReadOnlyList<RedisCommandStats>? Commands = null,
    int? Shard = null,
    IReadOnlyList<RedisServerSnapshot>? Nodes = null)
{
    /// <summary>The role as the metrics name it: <c>primary</c> or <c>replica</c> (INFO's <c>master</c> and <c>slave</c>).</summary>
    [JsonIgnore]
    public string? NodeRole => Role switch
    {
        "master" => "primary",
        "slave" => "replica",
        _ => Role,
    };

    /// <summary>Every node polled: <see cref="Nodes"/>, or this one server.</summary>
    [JsonIgnore]
    public IReadOnlyList<RedisServerSnapshot> EveryNode => Nodes ?? [this];
}

public sealed record RedisLatencyEvent(string Event, long LatestMs, long MaxMs);

/// <summary>One command's totals since the server started (<c>INFO commandstats</c>); collected at <see cref="Configuration.RedisMonitoringLevel.Full"/>.</summary>
public sealed record RedisCommandStats(string Command, long Calls, long Microseconds, long Failed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RedisServerSnapshot))]
internal sealed partial class MonitoringJsonContext : JsonSerializerContext;
