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
        if (authorizeResult.Challenged && context.Features.Get<SessionLookupUnavailable>() is not null && !context.Response.HasStarted)
        {
            // The bearer token could not be checked (Redis did not answer): not a refusal, so no 401 and no challenge.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = Problems.ApiProblem.RetryAfterSeconds(ReaderSessions.RetryAfter);
            await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Sessions are unavailable",
                    Detail = "The session token could not be checked (the cache is unreachable); the session is not ended. Retry after Retry-After.",
                },
            });
            return;
        }

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
