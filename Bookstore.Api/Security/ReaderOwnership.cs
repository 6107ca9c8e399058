using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Bookstore.Api.Security;

/// <summary>The route's <c>{id}</c> is the signed-in reader's user id.</summary>
public sealed class ReaderRouteRequirement : IAuthorizationRequirement;

/// <summary>The route's <c>{token}</c> is a session of the signed-in reader.</summary>
public sealed class SessionRouteRequirement : IAuthorizationRequirement;

/// <summary>
/// The owner checks. The admin key passes both (operations act on any reader); a reader passes only for their own
/// user id or their own sessions; anything else is a 403 once authenticated. An id the route would not take as an int
/// names no reader, so it is nobody's.
/// </summary>
public sealed class ReaderRouteHandler : AuthorizationHandler<ReaderRouteRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReaderRouteRequirement requirement)
    {
        if (Ownership.IsAdmin(context.User)
            || (Ownership.UserIdOf(context.User) is { } userId
                && context.Resource is HttpContext http
                // As the route's int constraint reads it, so "+7" and "7" name the same reader here and in the endpoint.
                && int.TryParse(http.GetRouteValue("id") as string, NumberStyles.Integer, CultureInfo.InvariantCulture, out var routeId)
                && routeId == userId))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Another session of the same reader passes (one device may end another's session); a token of another reader, an
/// unknown one and a malformed one all get the same 403, so a reader cannot probe which tokens exist.
/// </summary>
public sealed class SessionRouteHandler(ReaderSessions sessions) : AuthorizationHandler<SessionRouteRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, SessionRouteRequirement requirement)
    {
        if (Ownership.IsAdmin(context.User))
        {
            context.Succeed(requirement);
            return;
        }

        if (Ownership.UserIdOf(context.User) is not { } userId || context.Resource is not HttpContext http || http.GetRouteValue("token") is not string token)
        {
            return;
        }

        if (token == context.User.FindFirstValue(BookstoreAuth.SessionTokenClaim))
        {
            context.Succeed(requirement);
            return;
        }

        if (await sessions.FindAsync(token, http.RequestAborted) is { } session && session.UserId == userId)
        {
            context.Succeed(requirement);
        }
    }
}

internal static class Ownership
{
    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(BookstoreAuth.AdminRole);

    public static int? UserIdOf(ClaimsPrincipal user) =>
        int.TryParse(user.FindFirstValue(BookstoreAuth.UserIdClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}
