using System.Collections.Frozen;
using Bookstore.Api.Problems;
using Bookstore.Api.RateLimiting;
using Bookstore.Caching.Redis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Page visit counters in Redis (<c>visits:page:{page}</c>), for a fixed set of pages so no request text becomes a key.</summary>
public static partial class VisitsApi
{
    public static readonly FrozenSet<string> Pages = FrozenSet.Create(StringComparer.Ordinal, "home", "search", "cart");

    public static IEndpointRouteBuilder MapVisitsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/visits/{page}", CountAsync).WithTags("Visits").WithName("CountVisit")
            .WithSummary("Counts a visit of home, search or cart; the answer is the new count.").RequireAnonymousRateLimit();
        return app;
    }

    public static string Key(string page) => "visits:page:" + page;

    internal static async Task<Results<Ok<VisitCount>, NotFoundProblem, ServiceUnavailableProblem>> CountAsync(string page, IRedisService redis, ILogger<IRedisService> logger, CancellationToken cancellationToken)
    {
        if (!Pages.TryGetValue(page, out var known))
        {
            return new NotFoundProblem("Unknown page", $"Visits are counted for {string.Join(", ", Pages.Order(StringComparer.Ordinal))} only.");
        }

        var count = await redis.IncrementAsync(Key(known), 1, cancellationToken);
        if (!count.TryGetValue(out var visits))
        {
            LogVisitNotCounted(logger, known, count.Error);
            return new ServiceUnavailableProblem("Visit not counted", "The counter store is unavailable; the visit was not counted. Retry later.");
        }

        return TypedResults.Ok(new VisitCount(known, visits));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A visit of {Page} was not counted: Redis {Error}")]
    private static partial void LogVisitNotCounted(ILogger logger, string page, string? error);

    public sealed record VisitCount(string Page, long Visits);
}
