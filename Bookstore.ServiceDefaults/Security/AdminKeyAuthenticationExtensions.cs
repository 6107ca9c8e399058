using Bookstore.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class AdminKeyAuthenticationExtensions
{
    /// <summary>
    /// The admin key scheme (<see cref="AdminKeyAuthentication"/>) and its policy, with <c>Bookstore:Security</c>
    /// validated at start and one warning at start while no key is configured, naming <paramref name="protectedEndpoints"/>
    /// (which then refuse every request). Returns the authentication builder, for a service's other schemes.
    /// </summary>
    public static AuthenticationBuilder AddAdminKeyAuthentication(this IHostApplicationBuilder builder, string protectedEndpoints)
    {
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AdminApiKey>();
        builder.Services.AddHostedService(sp => new AdminKeyStartupCheck(
            sp.GetRequiredService<AdminApiKey>(), protectedEndpoints, sp.GetRequiredService<ILogger<AdminKeyStartupCheck>>()));
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminKeyAuthentication.PolicyName, policy => policy
                .AddAuthenticationSchemes(AdminKeyAuthentication.SchemeName)
                .RequireRole(AdminKeyAuthentication.AdminRole));
        return builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AdminKeyAuthentication.SchemeName, null);
    }
}
