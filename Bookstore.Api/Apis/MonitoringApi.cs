using System.ComponentModel;
using System.Text.Json.Serialization;
using Bookstore.Api.RateLimiting;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Monitoring;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// <c>/redis/health</c>, <c>/redis/metrics</c> and <c>/cache/stats</c> in the seed document's JSON shape and units:
/// snake_case names, instants in Unix seconds, rates in percent (85.5), durations in seconds (0.002); the seed's fields
/// first, ours after them. The names are on the types, so the OpenAPI document shows what is written.
/// All three answer 200 while the API runs, with <c>status: degraded</c> when Redis is away: the API still serves
/// from its store then, so a 503 here would make a probe take a working instance out of rotation. Readiness for
/// orchestrators is <c>/health</c>; these endpoints are for people and dashboards.
/// </summary>
public static class MonitoringApi
{
    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder app)
    {
        var monitoring = app.MapGroup(string.Empty).WithTags("Monitoring").RequireAnonymousRateLimit();
        monitoring.MapGet("/redis/health", RedisHealth).WithName("RedisHealth").WithSummary("Redis health and the client's cache figures.");
        monitoring.MapGet("/redis/metrics", RedisMetricsAsync).WithName("RedisMetrics").WithSummary("Client figures plus the server's INFO figures.");
        monitoring.MapGet("/cache/stats", CacheStats).WithName("CacheStats").WithSummary("Per cache type hits, misses, stale, errors and payloads.");
        return app;
    }

    internal static Ok<RedisHealthResponse> RedisHealth(RedisConnectionManager connection, CacheMetrics metrics, TimeProvider time)
    {
        var health = connection.Health;
        var snapshot = metrics.Snapshot();
        return TypedResults.Ok(new RedisHealthResponse(
            health.IsConnected ? "healthy" : "degraded",
            new RedisHealthSection(
                health.IsConnected, UnixSeconds(health.LastCheck), ClientFigures(snapshot), Seconds(health.LastRoundTrip), health.LastError),
            UnixSeconds(time.GetUtcNow())));
    }

    internal static async Task<Ok<RedisMetricsResponse>> RedisMetricsAsync(
        RedisConnectionManager connection, CacheMetrics metrics, RedisServerMonitor monitor, TimeProvider time, CancellationToken cancellationToken)
    {
        var health = connection.Health;
        var server = await monitor.ReadSharedSnapshotAsync(cancellationToken);
        return TypedResults.Ok(new RedisMetricsResponse(
            health.IsConnected ? "connected" : "disconnected",
            ClientFigures(metrics.Snapshot()),
            new ConnectionFigures(health.IsConnected, health.ConnectionFailures, health.ConnectionRestorations, health.InternalErrors, Seconds(health.LastReconnectDuration)),
            server is null ? null : FiguresOf(server),
            UnixSeconds(time.GetUtcNow()),
            server?.Nodes is { } nodes ? [.. nodes.Select(n => new NodeFigures(n.Endpoint, n.NodeRole, n.Shard, FiguresOf(n)))] : null));
    }

    private static ServerFigures FiguresOf(RedisServerSnapshot server) => new(
        UnixSeconds(server.TakenAt), server.RedisVersion, server.Role, server.UsedMemoryBytes, server.MaxMemoryBytes, server.MemoryFragmentationRatio,
        server.MaxMemoryPolicy, server.EvictedKeys, server.ExpiredKeys, server.ConnectedClients, server.OpsPerSecond,
        server.KeyspaceHits, server.KeyspaceMisses, server.SlowLogLength, server.ConnectedReplicas, server.ReplicationLagBytes);

    internal static Ok<CacheStatsResponse> CacheStats(CacheMetrics metrics, CacheL1Store l1, TimeProvider time)
    {
        var snapshot = metrics.Snapshot();
        return TypedResults.Ok(new CacheStatsResponse(
            ClientFigures(snapshot),
            l1.Count,
            [.. snapshot.Types.Select(t => new CacheTypeFigures(
                t.CacheType, t.Hits, t.Misses, t.Stale, t.Errors,
                Percent(t.Hits + t.Misses + t.Stale == 0 ? 0 : (double)t.Hits / (t.Hits + t.Misses + t.Stale)),
                t.PayloadsWritten, t.PayloadBytesWritten, t.PayloadsWritten == 0 ? 0 : (double)t.PayloadBytesWritten / t.PayloadsWritten,
                t.BytesSavedByCompression))],
            UnixSeconds(time.GetUtcNow())));
    }

    /// <summary>Unix seconds with millisecond precision, as the seed's <c>time.time()</c> figures.</summary>
    internal static double UnixSeconds(DateTimeOffset instant) => instant.ToUnixTimeMilliseconds() / 1000.0;

    private static double? UnixSeconds(DateTimeOffset? instant) => instant is { } value ? UnixSeconds(value) : null;

    /// <summary>A fraction (0–1) as percent with two decimals: 0.855 is 85.5.</summary>
    internal static double Percent(double fraction) => Math.Round(fraction * 100, 2);

    /// <summary>Seconds to the microsecond: 2 ms is 0.002.</summary>
    internal static double Seconds(TimeSpan duration) => Math.Round(duration.TotalSeconds, 6);

    private static double? Seconds(TimeSpan? duration) => duration is { } value ? Seconds(value) : null;

    private static ClientMetrics ClientFigures(CacheMetricsSnapshot snapshot) =>
        new(Percent(snapshot.HitRate), Percent(snapshot.ErrorRate), snapshot.TotalOperations, Seconds(snapshot.AverageResponseTime));

    internal sealed record RedisHealthResponse(
        [property: JsonPropertyName("status"), Description("healthy, or degraded while Redis does not answer (still 200).")] string Status,
        [property: JsonPropertyName("redis")] RedisHealthSection Redis,
        [property: JsonPropertyName("timestamp"), Description("When this answer was made, Unix seconds.")] double Timestamp);

    internal sealed record RedisHealthSection(
        [property: JsonPropertyName("healthy")] bool Healthy,
        [property: JsonPropertyName("last_health_check"), Description("The last PING, Unix seconds; null before the first.")] double? LastHealthCheck,
        [property: JsonPropertyName("metrics")] ClientMetrics Metrics,
        [property: JsonPropertyName("round_trip_time"), Description("The last PING's round trip, seconds; null when it failed.")] double? RoundTripTime,
        [property: JsonPropertyName("last_error"),
                   Description("What failed last, null once Redis answers: timeout, connection_refused, connection_lost, auth_failed, permission_denied, loading, server_error, not_connected or unknown.")]
        string? LastError);

    internal sealed record ClientMetrics(
        [property: JsonPropertyName("hit_rate"), Description("Cache hits per lookup since start, percent (85.5).")] double HitRate,
        [property: JsonPropertyName("error_rate"), Description("Failed cache operations per operation since start, percent.")] double ErrorRate,
        [property: JsonPropertyName("total_operations")] long TotalOperations,
        [property: JsonPropertyName("avg_response_time"), Description("Mean duration of the timed cache operations (L1 hits are not timed), seconds (0.002).")] double AvgResponseTime);

    internal sealed record RedisMetricsResponse(
        [property: JsonPropertyName("connection_status")] string ConnectionStatus,
        [property: JsonPropertyName("client")] ClientMetrics Client,
        [property: JsonPropertyName("connection")] ConnectionFigures Connection,
        [property: JsonPropertyName("server"), Description("The server's INFO figures from the shared monitor (a cluster's first primary); null until its first poll.")] ServerFigures? Server,
        [property: JsonPropertyName("timestamp"), Description("When this answer was made, Unix seconds.")] double Timestamp,
        [property: JsonPropertyName("nodes"), Description("Every node's figures where Redis is more than one server (a cluster's primaries and replicas); null for one server.")]
        IReadOnlyList<NodeFigures>? Nodes = null);

    internal sealed record NodeFigures(
        [property: JsonPropertyName("endpoint")] string Endpoint,
        [property: JsonPropertyName("role"), Description("primary or replica.")] string? Role,
        [property: JsonPropertyName("shard"), Description("The cluster shard, numbered by its first hash slot (1, 2, 3).")] int? Shard,
        [property: JsonPropertyName("server")] ServerFigures Server);

    internal sealed record ConnectionFigures(
        [property: JsonPropertyName("connected")] bool Connected,
        [property: JsonPropertyName("failures")] long Failures,
        [property: JsonPropertyName("restorations")] long Restorations,
        [property: JsonPropertyName("internal_errors")] long InternalErrors,
        [property: JsonPropertyName("last_reconnect_duration"), Description("How long the last reconnection took, seconds.")] double? LastReconnectDuration);

    internal sealed record ServerFigures(
        [property: JsonPropertyName("taken_at"), Description("When the monitor read INFO, Unix seconds.")] double TakenAt,
        [property: JsonPropertyName("redis_version")] string? RedisVersion,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("used_memory_bytes")] long UsedMemoryBytes,
        [property: JsonPropertyName("max_memory_bytes")] long MaxMemoryBytes,
        [property: JsonPropertyName("memory_fragmentation_ratio")] double MemoryFragmentationRatio,
        [property: JsonPropertyName("max_memory_policy")] string? MaxMemoryPolicy,
        [property: JsonPropertyName("evicted_keys")] long EvictedKeys,
        [property: JsonPropertyName("expired_keys")] long ExpiredKeys,
        [property: JsonPropertyName("connected_clients")] long ConnectedClients,
        [property: JsonPropertyName("ops_per_sec")] long OpsPerSec,
        [property: JsonPropertyName("keyspace_hits")] long KeyspaceHits,
        [property: JsonPropertyName("keyspace_misses")] long KeyspaceMisses,
        [property: JsonPropertyName("slowlog_length")] long SlowlogLength,
        [property: JsonPropertyName("connected_replicas")] long ConnectedReplicas,
        [property: JsonPropertyName("replication_lag_bytes")] long? ReplicationLagBytes);

    internal sealed record CacheStatsResponse(
        [property: JsonPropertyName("totals")] ClientMetrics Totals,
        [property: JsonPropertyName("l1_entries")] int L1Entries,
        [property: JsonPropertyName("types")] IReadOnlyList<CacheTypeFigures> Types,
        [property: JsonPropertyName("timestamp"), Description("When this answer was made, Unix seconds.")] double Timestamp);

    internal sealed record CacheTypeFigures(
        [property: JsonPropertyName("cache_type")] string CacheType,
        [property: JsonPropertyName("hits")] long Hits,
        [property: JsonPropertyName("misses")] long Misses,
        [property: JsonPropertyName("stale")] long Stale,
        [property: JsonPropertyName("errors")] long Errors,
        [property: JsonPropertyName("hit_rate"), Description("Hits per lookup of this type, percent.")] double HitRate,
        [property: JsonPropertyName("payloads_written")] long PayloadsWritten,
        [property: JsonPropertyName("payload_bytes_written")] long PayloadBytesWritten,
        [property: JsonPropertyName("avg_payload_bytes")] double AvgPayloadBytes,
        [property: JsonPropertyName("bytes_saved_by_compression")] long BytesSavedByCompression);
}
