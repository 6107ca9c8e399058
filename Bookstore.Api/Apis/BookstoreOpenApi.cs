using System.Text.Json.Serialization;
using Bookstore.Api.Security;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c>: one a client can be generated from.</summary>
public static class BookstoreOpenApi
{
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Books"] = "The catalog, read through the cache (X-Cache says where an answer came from). Writes take the admin key.",
        ["Users"] = "Profiles (public) and each reader's cart, ratings and recommendations (the reader's session or the admin key).",
        ["Sessions"] = "Signing in and out: session tokens live only in the cache, for 30 minutes.",
        ["Visits"] = "Page visit counters kept in Redis.",
        ["Monitoring"] = "Redis health, the cache's figures and a Redis round trip; instants in Unix seconds, rates in percent, durations in seconds.",
        ["Admin"] = "Catalog import and cache administration: the admin key only.",
        ["Warming"] = "Bulk reads for the cache warmer: the admin key only.",
    };

    public static IHostApplicationBuilder AddBookstoreOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options => options.DescribeBookstoreApi().AddBookstoreSecuritySchemes());

        // The framework's Web default reads numbers from strings too, and the document then types every number as
        // "number or string", which generated clients cannot map to a number. No body is bound by the framework here
        // (handlers read them with their own contexts), and writing is the same either way: only the document changes.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return builder;
    }

    /// <summary>The title, the tags' descriptions, and server URLs a linter and a client generator accept.</summary>
    public static OpenApiOptions DescribeBookstoreApi(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Bookstore API";
            document.Info.Description = "The bookstore's catalog HTTP API, cached in Redis. Every error is ProblemDetails (application/problem+json).";

            // The server URL comes from the request with a trailing slash, which joined to a path gives "//books".
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
            {
                if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
                {
                    tag.Description = description;
                }
            }

            return Task.CompletedTask;
        });
        return options;
    }
}
