using Bookstore.Api.Catalog;
using Bookstore.Api.Security;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.Features;

namespace Microsoft.AspNetCore.Builder;

public static class CatalogAdminApi
{
    /// <summary>The largest CSV <c>POST /admin/import</c> takes (the goodbooks-10k books.csv is about 3.2 MB).</summary>
    public const long MaxImportBytes = 32L * 1024 * 1024;

    /// <summary>Catalog administration: the admin key (<c>X-Api-Key</c>) only.</summary>
    public static IEndpointRouteBuilder MapCatalogAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization(BookstoreAuth.AdminPolicy);
        admin.MapPost("/import", ImportAsync)
            .WithTags("Admin")
            .WithName("ImportCatalog")
            .WithSummary("Imports a goodreads-style CSV sent as the body (text/csv); upserts by goodreads_book_id and reports bad rows by line.")
            .Accepts<string>("text/csv")
            .Produces<ImportReport>();
        return app;
    }

    /// <summary>The CSV comes in the body, not as a server path, so the endpoint can read no file of the server.</summary>
    internal static async Task<IResult> ImportAsync(HttpRequest request, GoodreadsCsvImporter importer, CacheService cache, CancellationToken cancellationToken)
    {
        if (request.ContentType is not { } type || !type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(title: "Unsupported media type", detail: "Send the CSV as text/csv.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        if (request.ContentLength > MaxImportBytes)
        {
            return TypedResults.Problem(title: "Request body too large", detail: $"The CSV is at most {MaxImportBytes / (1024 * 1024)} MB.", statusCode: StatusCodes.Status413PayloadTooLarge);
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
            return TypedResults.Problem(title: "Request body too large", detail: ex.Message, statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (report.Added + report.Updated > 0)
        {
            await CatalogCommandLine.FlushCatalogCacheAsync(cache, cancellationToken);
        }

        return TypedResults.Ok(report);
    }
}
