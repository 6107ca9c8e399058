using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Bookstore.Api.Security;

/// <summary>
/// <c>X-Api-Key: &lt;admin key&gt;</c> makes the caller the admin. No header is no result (another scheme may apply);
/// a wrong key, several keys, or any key while none is configured is a failure. Nothing here touches the cache or the store.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminApiKey adminKey)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(BookstoreAuth.ApiKeyHeader, out var presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The failure messages go to the log; neither names the key that was presented.
        if (!adminKey.IsConfigured)
        {
            return Task.FromResult(AuthenticateResult.Fail($"No admin key is configured ({SecurityOptions.SectionName}:AdminApiKey): every admin request is refused."));
        }

        if (presented.Count != 1 || !adminKey.Matches(presented[0]))
        {
            return Task.FromResult(AuthenticateResult.Fail($"The {BookstoreAuth.ApiKeyHeader} header does not hold the admin key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, BookstoreAuth.AdminRole)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, $"{BookstoreAuth.ApiKeyScheme} header=\"{BookstoreAuth.ApiKeyHeader}\"");
        return Task.CompletedTask;
    }
}
