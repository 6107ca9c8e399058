using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Service defaults shared by every Bookstore service: OpenTelemetry, health checks,
/// service discovery and HTTP resilience.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    public const string MetricsEndpointPath = "/metrics";

    /// <summary>Meter names every Bookstore service publishes: ours and FusionCache's (all its levels).</summary>
    public static readonly string[] BookstoreMeters = ["Bookstore.Cache", "Bookstore.Redis", "ZiggyCreatures.Caching.Fusion*"];

    /// <summary>Trace sources: FusionCache's operations (StackExchange.Redis commands come from Aspire's Redis client).</summary>
    public static readonly string[] BookstoreTraceSources = ["ZiggyCreatures.Caching.Fusion*"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddManagementPort();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(BookstoreMeters)
                // .NET's runtime gauges end in ".count", which Prometheus reserves for histograms and summaries
                // (promtool rejects dotnet_assembly_count); these views give them names it accepts.
                .AddView("dotnet.assembly.count", new MetricStreamConfiguration { Name = "dotnet.assembly.loaded" })
                .AddView("dotnet.process.cpu.count", new MetricStreamConfiguration { Name = "dotnet.process.cpu.cores" })
                .AddView("dotnet.timer.count", new MetricStreamConfiguration { Name = "dotnet.timer.active" })
                // FusionCache's instruments carry no description; Prometheus wants HELP text on every metric.
                .AddView(instrument => string.IsNullOrEmpty(instrument.Description) && instrument.Meter.Name.StartsWith("ZiggyCreatures.Caching.Fusion", StringComparison.Ordinal)
                    ? new MetricStreamConfiguration { Description = $"FusionCache {instrument.Name} ({instrument.Meter.Name})." }
                    : null)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(BookstoreTraceSources)
                .AddAspNetCoreInstrumentation(options =>
                    // Health probes would drown the traces the dashboard is for.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath, StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath, StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments(MetricsEndpointPath, StringComparison.Ordinal))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (readiness: every check), <c>/alive</c> (liveness: only checks tagged "live", so it never
    /// depends on Redis) and <c>/metrics</c> (Prometheus text format of every meter above). Outside Development they
    /// answer only on the management port (<c>Bookstore:Management:Port</c>); on any other port they are a 404.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseManagementPortRestriction(HealthEndpointPath, AlivenessEndpointPath, MetricsEndpointPath);
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains("live"),
        });
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);

        return app;
    }
}
