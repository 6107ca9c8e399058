using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.AppHost.Prometheus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The <c>prometheus</c> resource: a Prometheus server scraping api and worker <c>/metrics</c> on their management ports,
/// every replica on its own (<see cref="PrometheusScrapeTargets"/>), from a configuration rendered from <c>prometheus/prometheus.yml</c>. Same pattern as the Redis modes:
/// <c>Bookstore:Prometheus:Mode</c> = auto (container if a runtime answers, else the local <c>prometheus</c> binary,
/// else none, with a log line), container, local, or off. With the profile's monitoring level
/// <see cref="MonitoringLevel.FullWithAlerts"/> (Production) it also loads the alert rules of <c>prometheus/alerts.yml</c>.
/// </summary>
public static class BookstorePrometheusExtensions
{
    public const string ModeKey = "Bookstore:Prometheus:Mode";
    public const string ScrapeInterval = "5s";

    /// <summary>The rules file's name, in <c>prometheus/</c> and next to the rendered configuration.</summary>
    public const string AlertRulesFile = "alerts.yml";

    public static IResourceBuilder<IResourceWithEndpoints>? AddBookstorePrometheus(
        this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> worker, BookstoreProfile profile)
    {
        var requested = (builder.Configuration[ModeKey] ?? "auto").Trim().ToLowerInvariant();
        var template = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "prometheus", "prometheus.yml"));
        var alertRules = profile.Monitoring == MonitoringLevel.FullWithAlerts
            ? Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "prometheus", AlertRulesFile))
            : null;
        var dataDirectory = Path.GetFullPath(
            builder.Configuration["Bookstore:Prometheus:DataDirectory"] ?? Path.Combine(builder.AppHostDirectory, ".data", "prometheus"));

        var mode = requested switch
        {
            "off" => "off",
            "container" or "local" => requested,
            "auto" => RedisModeResolver.ContainerRuntimeAnswers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"])
                ? "container"
                : RedisModeResolver.FindOnPath("prometheus") is not null ? "local" : "off",
            _ => throw new DistributedApplicationException($"'{ModeKey}' is '{requested}'. Use one of: auto, container, local, off."),
        };
        if (mode == "off")
        {
            return null;
        }

        var port = LoopbackPort.FindFree();
        var configFile = Path.Combine(dataDirectory, "prometheus.yml");
        return mode == "local"
            ? Configure(builder.AddExecutable("prometheus", "prometheus", dataDirectory,
                    $"--config.file={configFile}",
                    $"--storage.tsdb.path={Path.Combine(dataDirectory, "tsdb")}",
                    $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
                    "--storage.tsdb.retention.time=2d")
                .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false))
            : Configure(builder.AddContainer("prometheus", "prom/prometheus", "v3.5.0")
                .WithBindMount(dataDirectory, "/etc/prometheus", isReadOnly: true)
                .WithHttpEndpoint(targetPort: 9090, name: "http"));

        IResourceBuilder<IResourceWithEndpoints> Configure<T>(IResourceBuilder<T> prometheus)
            where T : IResourceWithEndpoints, IResourceWithWaitSupport
        {
            var inContainer = mode == "container";
            builder.Eventing.Subscribe<BeforeResourceStartedEvent>(prometheus.Resource, async (_, cancellationToken) =>
            {
                Directory.CreateDirectory(dataDirectory);
                var text = (await File.ReadAllTextAsync(template, cancellationToken).ConfigureAwait(false))
                    .Replace("{{SCRAPE_INTERVAL}}", ScrapeInterval, StringComparison.Ordinal)
                    .Replace("{{RULE_FILES}}", alertRules is null ? string.Empty : $"rule_files:\n  - {AlertRulesFile}", StringComparison.Ordinal);

                // Copied next to the configuration (a relative rule_files path is read from there), in the container too.
                var copiedRules = Path.Combine(dataDirectory, AlertRulesFile);
                if (alertRules is not null)
                {
                    File.Copy(alertRules, copiedRules, overwrite: true);
                }
                else
                {
                    File.Delete(copiedRules);
                }

                await File.WriteAllTextAsync(configFile, text, cancellationToken).ConfigureAwait(false);
            });

            builder.Services.AddHostedService(services => new PrometheusScrapeTargets(
                [api.Resource.Name, worker.Resource.Name],
                dataDirectory,
                inContainer ? "host.docker.internal" : "127.0.0.1",
                services.GetRequiredService<ResourceNotificationService>(),
                services.GetRequiredService<ILogger<PrometheusScrapeTargets>>()));

            var configured = prometheus
                .WaitFor(api)
                // Started, not healthy: the worker is healthy only once the cache is warm, and scraping it matters most before.
                .WaitForStart(worker)
                .WithHttpHealthCheck("/-/ready")
                .WithUrlForEndpoint("http", url => url.DisplayText = "Prometheus");
            return builder.CreateResourceBuilder<IResourceWithEndpoints>(configured.Resource);
        }
    }

}
