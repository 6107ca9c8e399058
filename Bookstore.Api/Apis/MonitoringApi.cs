using System.Text.Json;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Monitoring;
using Bookstore.Caching.Typed;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// <c>/redis/health</c>, <c>/redis/metrics</c> and <c>/cache/stats</c> in the seed document's JSON shape (snake_case).
/// All three answer 200 while the API runs, with <c>status: degraded</c> when Redis is away: the API still serves
/// from its store then, so a 503 here would make a probe take a working instance out of rotation. Readiness for
/// orchestrators is <c>/health</c>; these endpoints are for people and dashboards.
/// </summary>
public static class MonitoringApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/redis/health", RedisHealth).WithName("RedisHealth").WithSummary("Redis health and the client's cache figures.");
        app.MapGet("/redis/metrics", RedisMetricsAsync).WithName("RedisMetrics").WithSummary("Client figures plus the server's INFO figures.");
        app.MapGet("/cache/stats", CacheStats).WithName("CacheStats").WithSummary("Per cache type hits, misses, stale, errors and payloads.");
        return app;
    }

    internal static IResult RedisHealth(RedisConnectionManager connection, CacheMetrics metrics)
    {
        var health = connection.Health;
        var snapshot = metrics.Snapshot();
        return Results.Json(
            new RedisHealthResponse(
                health.IsConnected ? "healthy" : "degraded",
                new RedisHealthSection(health.IsConnected, health.LastCheck, health.LastRoundTrip?.TotalMilliseconds, health.LastError, ClientFigures(snapshot)),
                DateTimeOffset.UtcNow),
            Json);
    }

    internal static async Task<IResult> RedisMetricsAsync(
        RedisConnectionManager connection, CacheMetrics metrics, RedisServerMonitor monitor, CancellationToken cancellationToken)
    {
        var health = connection.Health;
        var server = await monitor.ReadSharedSnapshotAsync(cancellationToken);
        return Results.Json(
            new RedisMetricsResponse(
                health.IsConnected ? "connected" : "disconnected",
                ClientFigures(metrics.Snapshot()),
                new ConnectionFigures(health.IsConnected, health.ConnectionFailures, health.ConnectionRestorations, health.InternalErrors, health.LastReconnectDuration?.TotalMilliseconds),
                server is null ? null : new ServerFigures(
                    server.TakenAt, server.RedisVersion, server.Role, server.UsedMemoryBytes, server.MaxMemoryBytes, server.MemoryFragmentationRatio,
                    server.MaxMemoryPolicy, server.EvictedKeys, server.ExpiredKeys, server.ConnectedClients, server.OpsPerSecond,
                    server.KeyspaceHits, server.KeyspaceMisses, server.SlowLogLength, server.ConnectedReplicas, server.ReplicationLagBytes),
                DateTimeOffset.UtcNow),
            Json);
    }

    internal static IResult CacheStats(CacheMetrics metrics, CacheL1Store l1)
    {
        var snapshot = metrics.Snapshot();
        return Results.Json(
            new CacheStatsResponse(
                ClientFigures(snapshot),
                l1.Count,
                [.. snapshot.Types.Select(t => new CacheTypeFigures(
                    t.CacheType, t.Hits, t.Misses, t.Stale, t.Errors,
                    t.Hits + t.Misses + t.Stale == 0 ? 0 : (double)t.Hits / (t.Hits + t.Misses + t.Stale),
                    t.PayloadsWritten, t.PayloadBytesWritten, t.PayloadsWritten == 0 ? 0 : (double)t.PayloadBytesWritten / t.PayloadsWritten,
                    t.BytesSavedByCompression))],
                DateTimeOffset.UtcNow),
            Json);
    }

    private static ClientMetrics ClientFigures(CacheMetricsSnapshot snapshot) =>
        new(snapshot.HitRate, snapshot.ErrorRate, snapshot.TotalOperations, snapshot.AverageResponseTime.TotalMilliseconds);

    internal sealed record RedisHealthResponse(string Status, RedisHealthSection Redis, DateTimeOffset Timestamp);

    internal sealed record RedisHealthSection(bool Healthy, DateTimeOffset? LastHealthCheck, double? RoundTripMs, string? LastError, ClientMetrics Metrics);

    /// <summary><c>avg_response_time</c> is in milliseconds.</summary>
    internal sealed record ClientMetrics(double HitRate, double ErrorRate, long TotalOperations, double AvgResponseTime);

    internal sealed record RedisMetricsResponse(string ConnectionStatus, ClientMetrics Client, ConnectionFigures Connection, ServerFigures? Server, DateTimeOffset Timestamp);

    internal sealed record ConnectionFigures(bool Connected, long Failures, long Restorations, long InternalErrors, double? LastReconnectMs);

    internal sealed record ServerFigures(
        DateTimeOffset TakenAt, string? RedisVersion, string? Role, long UsedMemoryBytes, long MaxMemoryBytes, double MemoryFragmentationRatio,
        string? MaxMemoryPolicy, long EvictedKeys, long ExpiredKeys, long ConnectedClients, long OpsPerSec,
        long KeyspaceHits, long KeyspaceMisses, long SlowlogLength, long ConnectedReplicas, long? ReplicationLagBytes);

    internal sealed record CacheStatsResponse(ClientMetrics Totals, int L1Entries, IReadOnlyList<CacheTypeFigures> Types, DateTimeOffset Timestamp);

    internal sealed record CacheTypeFigures(
        string CacheType, long Hits, long Misses, long Stale, long Errors, double HitRate,
        long PayloadsWritten, long PayloadBytesWritten, double AvgPayloadBytes, long BytesSavedByCompression);
}
