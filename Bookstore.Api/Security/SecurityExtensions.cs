using Bookstore.Api.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Microsoft.Extensions.Hosting;

public static class SecurityExtensions
{
    /// <summary>
    /// The API's two credentials and three policies: <c>X-Api-Key</c> (the admin key, the scheme every service shares:
    /// <see cref="AdminKeyAuthenticationExtensions.AddAdminKeyAuthentication"/>) for <see cref="BookstoreAuth.AdminPolicy"/>;
    /// a session token (<c>Authorization: Bearer</c>) or the admin key for <see cref="BookstoreAuth.ReaderPolicy"/> and
    /// <see cref="BookstoreAuth.SessionOwnerPolicy"/>. No default scheme: a public endpoint never reads a credential,
    /// so a token sent to one costs no cache lookup.
    /// </summary>
    public static IHostApplicationBuilder AddBookstoreSecurity(this IHostApplicationBuilder builder)
    {
        builder.AddAdminKeyAuthentication("POST/PUT/DELETE /books, /admin/*, /catalog/* and /redis/roundtrip")
            .AddScheme<AuthenticationSchemeOptions, SessionTokenAuthenticationHandler>(BookstoreAuth.SessionScheme, null);
        builder.Services.AddTransient<IStartupFilter, AdminRouteGuard>();
        builder.Services.AddSingleton<ReaderPasswords>();
        builder.Services.AddSingleton<ReaderSessions>();

        builder.Services.AddSingleton<IAuthorizationHandler, ReaderRouteHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, SessionRouteHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemDetailsAuthorizationResultHandler>();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(BookstoreAuth.ReaderPolicy, policy => policy
                .AddAuthenticationSchemes(BookstoreAuth.SessionScheme, BookstoreAuth.ApiKeyScheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new ReaderRouteRequirement()))
            .AddPolicy(BookstoreAuth.SessionOwnerPolicy, policy => policy
                .AddAuthenticationSchemes(BookstoreAuth.SessionScheme, BookstoreAuth.ApiKeyScheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new SessionRouteRequirement()));
        return builder;
    }
}
