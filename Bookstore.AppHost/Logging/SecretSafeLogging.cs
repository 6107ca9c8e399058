using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static class SecretSafeLogging
{
    /// <summary>
    /// At Trace, Aspire's ResourceNotificationService logs every resource snapshot, and a secret parameter's snapshot
    /// carries its value (the generated Redis password among them). This rule, registered after the configuration's,
    /// keeps that category at Information even when someone turns the AppHost's logging up to Trace to debug it.
    /// </summary>
    public static IDistributedApplicationBuilder KeepSecretsOutOfLogs(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddLogging(logging => logging.AddFilter(ResourceSnapshotCategory, LogLevel.Information));
        return builder;
    }

    public const string ResourceSnapshotCategory = "Aspire.Hosting.ApplicationModel.ResourceNotificationService";
}
