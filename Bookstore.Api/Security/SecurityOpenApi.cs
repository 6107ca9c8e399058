using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Bookstore.Api.Security;

/// <summary>Advertises the two schemes in the OpenAPI document and, on each protected operation, which of them it takes.</summary>
public static class SecurityOpenApi
{
    public static OpenApiOptions AddBookstoreSecuritySchemes(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BookstoreAuth.ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = BookstoreAuth.ApiKeyHeader,
                Description = "The admin key (Bookstore:Security:AdminApiKey; the AppHost's api-admin-key parameter).",
            };
            document.Components.SecuritySchemes[BookstoreAuth.SessionScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A session token from POST /sessions; it acts for that session's user only.",
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var policies = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet();
            string[] schemes = policies.Contains(BookstoreAuth.AdminPolicy)
                ? [BookstoreAuth.ApiKeyScheme]
                : policies.Contains(BookstoreAuth.ReaderPolicy) || policies.Contains(BookstoreAuth.SessionOwnerPolicy)
                    ? [BookstoreAuth.SessionScheme, BookstoreAuth.ApiKeyScheme]
                    : [];
            // Each requirement is an alternative: any one of the schemes is enough. A public operation says so with an
            // empty list, so a reader (and a linter) can tell "no credential" from "forgotten".
            operation.Security = [.. schemes.Select(scheme => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] })];

            return Task.CompletedTask;
        });
        return options;
    }
}
