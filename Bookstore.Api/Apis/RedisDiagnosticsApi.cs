using System.Diagnostics;
using Bookstore.Api.Problems;
using Bookstore.Api.Security;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

public static class RedisDiagnosticsApi
{
    public static IEndpointRouteBuilder MapRedisDiagnosticsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/redis/roundtrip", RoundTripAsync)
            .WithTags("Monitoring")
            .WithName("RedisRoundTrip")
            .WithSummary("Writes a probe value to Redis, reads it back and deletes it (the admin key: three Redis operations a call).")
            .RequireAdminKey();
        return app;
    }

    /// <summary>
    /// A write, a read and a delete of a short-lived probe key through <see cref="IRedisService"/>: proves the API
    /// reaches Redis with its credentials and reports the time it took. 503 with ProblemDetails when Redis fails.
    /// </summary>
    internal static async Task<Results<Ok<RoundTripResponse>, ServiceUnavailableProblem, BadGatewayProblem>> RoundTripAsync(IRedisService redis, CancellationToken cancellationToken)
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
            return new ServiceUnavailableProblem(
                "Redis is not reachable", "The round trip to Redis failed; the bookstore.cache.errors metric and the API log say why.");
        }

        if (read.Value != written)
        {
            return new BadGatewayProblem(
                "Redis returned a different value than was written", "The probe key read back does not hold the value just written to it.");
        }

        return TypedResults.Ok(new RoundTripResponse(true, stopwatch.Elapsed.TotalMilliseconds, DateTimeOffset.UtcNow));
    }

    internal sealed record RoundTripResponse(bool Ok, double LatencyMs, DateTimeOffset Timestamp);
}
