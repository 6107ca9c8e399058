using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bookstore.ServiceDefaults.Security;

/// <summary>Says at start, once, that the admin endpoints (<paramref name="protectedEndpoints"/>) refuse everything and how to give them a key.</summary>
public sealed partial class AdminKeyStartupCheck(AdminApiKey adminKey, string protectedEndpoints, ILogger<AdminKeyStartupCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!adminKey.IsConfigured)
        {
            LogNoAdminKey(logger, protectedEndpoints);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "No admin key is configured, so {Endpoints} refuse every request (401). " +
        "Set Bookstore:Security:AdminApiKey (at least 16 characters), e.g. the environment variable Bookstore__Security__AdminApiKey; " +
        "under the AppHost it is the generated secret parameter 'api-admin-key' (shown on the dashboard's Parameters).")]
    private static partial void LogNoAdminKey(ILogger logger, string endpoints);
}
