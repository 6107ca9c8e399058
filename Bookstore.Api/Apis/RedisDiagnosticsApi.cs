using System.Diagnostics;
using Bookstore.Caching.Keys;
using StackExchange.Redis;

namespace Microsoft.AspNetCore.Builder;

public static class RedisDiagnosticsApi
{
    public static IEndpointRouteBuilder MapRedisDiagnosticsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/redis/roundtrip", RoundTripAsync)
            .WithName("RedisRoundTrip")
            .WithSummary("Writes a probe value to Redis, reads it back and deletes it.");
        return app;
    }

    /// <summary>
    /// A write, a read and a delete of a short-lived probe key: proves the API reaches the configured Redis
    /// with its credentials and reports the time it took. 503 with ProblemDetails when Redis cannot be reached.
    /// </summary>
    internal static async Task<IResult> RoundTripAsync(IConnectionMultiplexer redis, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var probeId = Guid.NewGuid();
        var key = CacheKeyBuilder.For("probe", probeId);
        var written = probeId.ToString("N");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            // The key expires by itself even if the delete below never runs.
            await db.StringSetAsync(key, written, TimeSpan.FromSeconds(30)).WaitAsync(cancellationToken);
            var read = await db.StringGetAsync(key).WaitAsync(cancellationToken);
            await db.KeyDeleteAsync(key).WaitAsync(cancellationToken);
            stopwatch.Stop();

            if (read != written)
            {
                return Results.Problem(
                    title: "Redis returned a different value than was written",
                    statusCode: StatusCodes.Status502BadGateway);
            }

            return Results.Ok(new RoundTripResponse(true, stopwatch.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            loggerFactory.CreateLogger(typeof(RedisDiagnosticsApi)).LogWarning(ex, "Redis round trip failed");
            return Results.Problem(
                title: "Redis is not reachable",
                detail: "The round trip to Redis failed; see the API log for the cause.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    internal sealed record RoundTripResponse(bool Ok, double LatencyMs, DateTimeOffset Timestamp);
}
