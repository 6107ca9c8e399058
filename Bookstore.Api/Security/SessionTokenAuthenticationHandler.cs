using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Bookstore.Caching.Redis;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Bookstore.Api.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> with a token from <c>POST /sessions</c> makes the caller that session's reader.
/// A token that is not shaped like one the API makes fails before any cache lookup; a well-formed one is looked up by
/// its hash (<see cref="ReaderSessions"/>, the only place sessions live), and an unknown, expired or ended one fails.
/// </summary>
public sealed class SessionTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ReaderSessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Prefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (authorization.Count > 1 || authorization[0] is not { } value || !value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not one bearer token.");
        }

        var token = value.AsSpan(Prefix.Length).Trim().ToString();
        if (!ReaderSessions.IsWellFormed(token))
        {
            return AuthenticateResult.Fail("The bearer token is not a session token.");
        }

        var lookup = await sessions.LookUpAsync(token, Context.RequestAborted);
        if (lookup.Status == CacheReadStatus.Unavailable)
        {
            // Not a refused token: the reader stays signed in, and the request is answered 503 with Retry-After
            // (ProblemDetailsAuthorizationResultHandler), never the 401 that tells a client to discard its token.
            Context.Features.Set(SessionLookupUnavailable.Instance);
            return AuthenticateResult.Fail("The session could not be looked up: Redis is unavailable.");
        }

        if (lookup is not { Found: true, Value: { } session })
        {
            return AuthenticateResult.Fail("No active session has this token.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(BookstoreAuth.UserIdClaim, session.UserId.ToString(CultureInfo.InvariantCulture)), new Claim(BookstoreAuth.SessionTokenClaim, token)],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>
    /// RFC 6750: <c>error="invalid_token"</c> when a token was sent and refused, a bare challenge when none was; no
    /// challenge when the token could not be looked up (the answer is a 503, see <see cref="SessionLookupUnavailable"/>).
    /// </summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (Context.Features.Get<SessionLookupUnavailable>() is not null)
        {
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(
            HeaderNames.WWWAuthenticate, result.Failure is null ? "Bearer realm=\"bookstore\"" : "Bearer realm=\"bookstore\", error=\"invalid_token\"");
    }
}

/// <summary>
/// Set on a request whose bearer token could not be looked up because Redis did not answer: the request is answered
/// 503 Service Unavailable with <c>Retry-After</c>, since the session may be live and a 401 would sign the reader out.
/// </summary>
public sealed class SessionLookupUnavailable
{
    public static SessionLookupUnavailable Instance { get; } = new();

    private SessionLookupUnavailable()
    {
    }
}
