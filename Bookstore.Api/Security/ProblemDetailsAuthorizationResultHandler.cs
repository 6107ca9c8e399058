using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Bookstore.Api.Security;

/// <summary>
/// The default 401 / 403 (challenge and forbid of each scheme, with their WWW-Authenticate headers), then a
/// ProblemDetails body that says which credential the endpoint takes.
/// </summary>
public sealed class ProblemDetailsAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        await _default.HandleAsync(next, context, policy, authorizeResult);
        if (!(authorizeResult.Challenged || authorizeResult.Forbidden) || context.Response.HasStarted)
        {
            return;
        }

        var forReaders = policy.AuthenticationSchemes.Contains(BookstoreAuth.SessionScheme);
        var (title, detail) = authorizeResult.Challenged
            ? ("Authentication required", forReaders
                ? $"Send Authorization: Bearer <token> with a token from POST /sessions for this user (or the admin key in {BookstoreAuth.ApiKeyHeader})."
                : $"Send the admin key in the {BookstoreAuth.ApiKeyHeader} header.")
            : ("Forbidden", "This session's reader may not act on another reader's data.");
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = context.Response.StatusCode, Title = title, Detail = detail },
        });
    }
}
