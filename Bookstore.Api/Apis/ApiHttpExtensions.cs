using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Caching.Catalog;

namespace Microsoft.AspNetCore.Builder;

/// <summary>How the API writes its answers and serves its documentation UI.</summary>
public static class ApiHttpExtensions
{
    public const string DocsPath = "/docs";

    /// <summary>
    /// Answers are written with source-generated metadata for the catalog types (<see cref="CatalogHttpJsonContext"/>,
    /// the same Web defaults as before, so the same JSON): with it, System.Text.Json takes its generated fast path instead
    /// of building the answer through its reflection metadata, which allocated a write stack per book read.
    /// </summary>
    public static IHostApplicationBuilder AddApiJson(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, CatalogHttpJsonContext.Default));
        return builder;
    }

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

/// <summary>The catalog types as the API answers them: ASP.NET Core's Web defaults (camelCase, nulls written).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Book))]
[JsonSerializable(typeof(BookPage))]
[JsonSerializable(typeof(UserProfile))]
[JsonSerializable(typeof(Cart))]
[JsonSerializable(typeof(Recommendations))]
internal sealed partial class CatalogHttpJsonContext : JsonSerializerContext;
