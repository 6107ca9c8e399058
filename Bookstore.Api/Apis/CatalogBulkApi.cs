using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.Recommender;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Bulk reads for the cache warmer (the API stays the one owner of the store; see docs/warming.md). Not cached:
/// the warmer reads them to fill the cache. The admin key only: the worker sends it.
/// </summary>
public static class CatalogBulkApi
{
    public const int MaxPopularBooks = 10_000;

    public const int MaxActiveReaders = 10_000;

    public static IEndpointRouteBuilder MapCatalogBulkApi(this IEndpointRouteBuilder app)
    {
        var catalog = app.MapGroup("/catalog").WithTags("Warming").RequireAdminKey();
        catalog.MapGet("/popular-books", PopularBooksAsync)
            .WithName("PopularBooks")
            .WithSummary($"The most popular books by ratings count + view weight × live views, whole (limit 1–{MaxPopularBooks}), for the cache warmer.");
        catalog.MapGet("/active-readers/recommendations", ActiveReaderRecommendationsAsync)
            .WithName("ActiveReaderRecommendations")
            .WithSummary($"Fresh recommendations (limit 1–{UsersApi.MaxRecommendations}) of the most recently active readers (users 1–{MaxActiveReaders}), each with the cache entry GET /users/{{id}}/recommendations reads, for the cache warmer.");
        return app;
    }

    internal static async Task<Results<Ok<IReadOnlyList<Book>>, ValidationProblem>> PopularBooksAsync(int? limit, PopularBooks popular, CancellationToken cancellationToken)
    {
        var count = limit ?? 100;
        if (count is < 1 or > MaxPopularBooks)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be from 1 to {MaxPopularBooks}."] });
        }

        return TypedResults.Ok(await popular.GetMostPopularAsync(count, cancellationToken));
    }

    internal static async Task<Results<Ok<List<RecommendationsEntry>>, ValidationProblem, ServiceUnavailableProblem>> ActiveReaderRecommendationsAsync(
        int? users,
        int? limit,
        ReaderActivity activity,
        CachedResultEntries<IRecommendationService> entries,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var readers = users ?? 50;
        var length = limit ?? UsersApi.DefaultRecommendations;
        var errors = new Dictionary<string, string[]>();
        if (readers is < 1 or > MaxActiveReaders)
        {
            errors["users"] = [$"users must be from 1 to {MaxActiveReaders}."];
        }

        if (length is < 1 or > UsersApi.MaxRecommendations)
        {
            errors["limit"] = [$"limit must be from 1 to {UsersApi.MaxRecommendations}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await activity.GetMostRecentAsync(readers, cancellationToken) is not { } active)
        {
            return new ServiceUnavailableProblem(
                "Reader activity unavailable", "Redis did not answer, so the recently active readers are unknown. Retry once Redis is back.");
        }

        // The undecorated recommender: fresh lists for the warmer to write, not whatever this replica has cached.
        var recommender = ActivatorUtilities.CreateInstance<RecommendationService>(context.RequestServices);
        var result = new List<RecommendationsEntry>(active.Count);
        foreach (var userId in active)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await recommender.GetUserRecommendationsAsync(userId, length) is not { } recommendations)
            {
                continue;
            }

            var entry = entries.DescribeResult(nameof(IRecommendationService.GetUserRecommendationsAsync), recommendations, userId, length);
            result.Add(new RecommendationsEntry(entry.Id, entry.Tags, recommendations));
        }

        return TypedResults.Ok(result);
    }
}
