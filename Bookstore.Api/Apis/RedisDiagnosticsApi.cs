using System.Diagnostics;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;

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
    /// A write, a read and a delete of a short-lived probe key through <see cref="IRedisService"/>: proves the API
    /// reaches Redis with its credentials and reports the time it took. 503 with ProblemDetails when Redis fails.
    /// </summary>
    internal static async Task<IResult> RoundTripAsync(IRedisService redis, CancellationToken cancellationToken)
    {
        var probeId = Guid.NewGuid();
        var key = CacheKeyBuilder.For("probe", probeId);
        var written = probeId.ToString("N");
        var stopwatch = Stopwatch.StartNew();

        // The probe expires by itself even if the delete never runs.
        var stored = await redis.SetAsync(key, written, TimeSpan.FromSeconds(30), cancellationToken);
        var read = stored ? await redis.GetAsync<string>(key, cancellationToken) : CacheLookup<string>.Miss;
        var deleted = read.Found && await redis.DeleteAsync(key, cancellationToken);
        stopwatch.Stop();

        if (!stored || !read.Found || !deleted)
        {
            return Results.Problem(
                title: "Redis is not reachable",
                detail: "The round trip to Redis failed; the bookstore.cache.errors metric and the API log say why.",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (read.Value != written)
        {
            return Results.Problem(title: "Redis returned a different value than was written", statusCode: StatusCodes.Status502BadGateway);
        }

        return Results.Ok(new RoundTripResponse(true, stopwatch.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow));
    }

    internal sealed record RoundTripResponse(bool Ok, double LatencyMs, DateTimeOffset Timestamp);
}
