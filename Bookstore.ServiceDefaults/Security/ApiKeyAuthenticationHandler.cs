using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Bookstore.ServiceDefaults.Security;

/// <summary>
/// <c>X-Api-Key: &lt;admin key&gt;</c> makes the caller the admin. No header is no result (another scheme may apply);
/// a wrong key, several keys, or any key while none is configured is a failure. Nothing here does any I/O.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminApiKey adminKey)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AdminKeyAuthentication.HeaderName, out var presented))
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
            return Task.FromResult(AuthenticateResult.Fail($"The {AdminKeyAuthentication.HeaderName} header does not hold the admin key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, AdminKeyAuthentication.AdminRole)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, $"{AdminKeyAuthentication.SchemeName} header=\"{AdminKeyAuthentication.HeaderName}\"");
        return Task.CompletedTask;
    }
}
