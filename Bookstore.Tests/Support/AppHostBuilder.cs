using Aspire.Hosting.Testing;

namespace Bookstore.Tests.Support;

/// <summary>The AppHost's testing builder for tests that start it: with its dashboard, as <c>dotnet run</c> has it.</summary>
internal static class AppHostBuilder
{
    /// <summary>
    /// <see cref="DistributedApplicationTestingBuilder"/> turns the dashboard off by default, yet still points the
    /// services' OTLP exporters at it. Aspire also asks them to retry failed exports (<c>in_memory</c>), so each service's
    /// final export at shutdown retried against a closed port for its 10 s timeout, and each disposal of a started
    /// AppHost took about 23 s instead of 13 s. With the dashboard running, the services stop as they do for a user.
    /// </summary>
    public static Task<IDistributedApplicationTestingBuilder> CreateAsync(string[] args, CancellationToken ct) =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.Bookstore_AppHost>(args, (options, _) => options.DisableDashboard = false, ct);
}
