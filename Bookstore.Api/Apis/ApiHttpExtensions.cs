using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Catalog.Contracts;

namespace Microsoft.AspNetCore.Builder;

/// <summary>How the API serves its documentation UI.</summary>
public static class ApiHttpExtensions
{
    public const string DocsPath = "/docs";

    /// <summary>
    /// The browsable UI over the document MapOpenApi serves, at <see cref="DocsPath"/>; its assets ship inside the package.
    /// Only requests under that path enter its middleware, which otherwise matches every request's path with a regex.
    /// </summary>
    public static WebApplication UseApiDocsUi(this WebApplication app)
    {
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments(DocsPath, StringComparison.OrdinalIgnoreCase),
            docs => docs.UseSwaggerUI(options =>
            {
                options.RoutePrefix = DocsPath.TrimStart('/');
                options.SwaggerEndpoint("/openapi/v1.json", "Bookstore API v1");
            }));
        return app;
    }
}

/// <summary>
/// Books and list pages as the API answers them (<see cref="EncodedJsonResult{T}"/>): ASP.NET Core's Web defaults, so the
/// same JSON as a typed result (camelCase, nulls written), through the generated fast path instead of reflection metadata.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Book))]
[JsonSerializable(typeof(BookPage))]
internal sealed partial class CatalogHttpJsonContext : JsonSerializerContext;
