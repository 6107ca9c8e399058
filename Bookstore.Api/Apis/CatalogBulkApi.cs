using Bookstore.Api.Catalog;
using Bookstore.Api.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Bulk reads for the cache warmer (the API stays the one owner of the store; see docs/warming.md). Not cached:
/// the warmer reads them to fill the cache. The admin key only: the worker sends it.
/// </summary>
public static class CatalogBulkApi
{
    public const int MaxPopularBooks = 10_000;

    public static IEndpointRouteBuilder MapCatalogBulkApi(this IEndpointRouteBuilder app)
    {
        var catalog = app.MapGroup("/catalog").RequireAuthorization(BookstoreAuth.AdminPolicy);
        catalog.MapGet("/popular-books", PopularBooksAsync)
            .WithName("PopularBooks")
            .WithSummary($"The most popular books, whole (limit 1–{MaxPopularBooks}), for the cache warmer.");
        return app;
    }

    internal static async Task<IResult> PopularBooksAsync(int? limit, ICatalogStore store, CancellationToken cancellationToken)
    {
        var count = limit ?? 100;
        if (count is < 1 or > MaxPopularBooks)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be from 1 to {MaxPopularBooks}."] });
        }

        return TypedResults.Ok(await store.GetMostPopularBooksAsync(count, cancellationToken));
    }
}
