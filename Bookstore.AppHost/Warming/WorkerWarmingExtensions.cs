using System.Globalization;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Warming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

public static class WorkerWarmingExtensions
{
    /// <summary>The health report that carries the worker's warming state to the dashboard.</summary>
    public const string HealthCheckName = "warming";

    /// <summary>The dashboard command on the worker that starts a warming run now (<c>POST /warming/run</c>).</summary>
    public const string WarmNowCommand = "bookstore-warm-cache-now";

    /// <summary>
    /// Gives the worker the profile's warming plan (<c>Bookstore:Warming</c>: top books, active readers, interval) and
    /// shows its state on the dashboard: a health check polls the worker's <c>/warming</c>, so the worker reads
    /// Degraded "warming …" until the first run completes and Healthy "ready: …" after. Aspire polls a non-healthy
    /// resource every few seconds and a healthy one every 30 s. The "Warm cache now" command starts a run. The worker's
    /// warming endpoints take the admin key: the health check and the command send <paramref name="adminKey"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCacheWarming(
        this IResourceBuilder<ProjectResource> worker, BookstoreProfile profile, IResourceBuilder<ParameterResource> adminKey)
    {
        var endpoint = worker.GetEndpoint("http");
        var key = worker.Resource.Name + "-" + HealthCheckName;
        // A poll every few seconds: its request logs would drown the AppHost's console, as Aspire's own checks' would.
        worker.ApplicationBuilder.Services.AddHttpClient(key).RemoveAllLoggers();
        worker.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key,
            sp => new WarmingStateHealthCheck(endpoint, adminKey.Resource, () => sp.GetRequiredService<IHttpClientFactory>().CreateClient(key)),
            HealthStatus.Unhealthy,
            tags: null,
            timeout: TimeSpan.FromSeconds(5)));
        return worker
            .WithEnvironment("Bookstore__Warming__TopBooks", Text(profile.Warming.TopBooks))
            .WithEnvironment("Bookstore__Warming__ActiveReaders", Text(profile.Warming.ActiveReaders))
            .WithEnvironment("Bookstore__Warming__IntervalMinutes", Text(profile.Warming.IntervalMinutes))
            .WithHealthCheck(key)
            .WithHttpCommand("/warming/run", "Warm cache now", endpointName: "http", commandName: WarmNowCommand, commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                IconName = "ArrowClockwise",
                Description = "Starts a cache warming run now (POST /warming/run with the admin key).",
                PrepareRequest = async context => context.Request.Headers.Add(
                    WarmingStateHealthCheck.AdminKeyHeader, await adminKey.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false)),
            });
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
