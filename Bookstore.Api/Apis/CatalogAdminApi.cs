using Bookstore.Api.Catalog;
using Bookstore.Api.Problems;
using Bookstore.Api.Security;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

public static class CatalogAdminApi
{
    /// <summary>The largest CSV <c>POST /admin/import</c> takes (the goodbooks-10k books.csv is about 3.2 MB).</summary>
    public const long MaxImportBytes = 32L * 1024 * 1024;

    /// <summary>Catalog administration: the admin key (<c>X-Api-Key</c>) only.</summary>
    public static IEndpointRouteBuilder MapCatalogAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAdminKey();
        admin.MapPost("/import", ImportAsync)
            .WithTags("Admin")
            .WithName("ImportCatalog")
            .WithSummary("Imports a goodreads-style CSV sent as the body (text/csv); upserts by goodreads_book_id and reports bad rows by line.")
            .Accepts<string>("text/csv");
        return app;
    }

    /// <summary>The CSV comes in the body, not as a server path, so the endpoint can read no file of the server.</summary>
    internal static async Task<Results<Ok<ImportReport>, RequestBodyProblem>> ImportAsync(HttpRequest request, GoodreadsCsvImporter importer, CacheService cache, CancellationToken cancellationToken)
    {
        if (request.ContentType is not { } type || !type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return RequestBodyProblem.UnsupportedMediaType("Send the CSV as text/csv.");
        }

        if (request.ContentLength > MaxImportBytes)
        {
            return RequestBodyProblem.TooLarge($"The CSV is at most {MaxImportBytes / (1024 * 1024)} MB.");
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxImportBytes;
        }

        ImportReport report;
        try
        {
            using var reader = new StreamReader(request.Body);
            report = await importer.ImportAsync(reader, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return RequestBodyProblem.TooLarge(ex.Message);
        }

        if (report.Added + report.Updated > 0)
        {
            await CatalogCommandLine.FlushCatalogCacheAsync(cache, cancellationToken);
        }

        return TypedResults.Ok(report);
    }
}
