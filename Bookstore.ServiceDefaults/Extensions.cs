using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Bookstore.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Configuration;
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

    /// <summary>Meter names every Bookstore service publishes (the telemetry contract in the README).</summary>
    public static readonly string[] BookstoreMeters = ["Bookstore.Cache", "Bookstore.Redis"];

    /// <summary>
    /// FusionCache's own meters and activity sources (all its levels), listened to only with cache instrumentation on
    /// (<see cref="TelemetryOptions.CacheInstrumentation"/>). While anything listens, FusionCache builds its tags (boxed
    /// values included) for every cache call, sampled or not: that cost an L1 hit more than the hit itself.
    /// </summary>
    public static readonly string[] FusionCacheInstrumentation = ["ZiggyCreatures.Caching.Fusion*"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ThreadPoolDefaults.RaiseMinWorkerThreads();
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

        var telemetry = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var samplingRatio = TraceSamplingRatioOf(telemetry, builder.Environment);
        var cacheInstrumentation = telemetry.CacheInstrumentation ?? builder.Environment.IsDevelopment();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(BookstoreMeters)
                .AddMeter(cacheInstrumentation ? FusionCacheInstrumentation : [])
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
                // A trace is recorded or not where it starts; every span below it (a cache call, a Redis command) follows.
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(samplingRatio)))
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(cacheInstrumentation ? FusionCacheInstrumentation : [])
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

    /// <summary>
    /// <c>Bookstore:Telemetry:TraceSamplingRatio</c>, or its default for the environment (every trace in Development).
    /// Checked here rather than left to options validation, because the sampler is fixed while the tracer is built.
    /// </summary>
    internal static double TraceSamplingRatioOf(TelemetryOptions telemetry, IHostEnvironment environment)
    {
        var ratio = telemetry.TraceSamplingRatio ?? (environment.IsDevelopment() ? 1.0 : TelemetryOptions.DefaultProductionRatio);
        return ratio is >= 0 and <= 1
            ? ratio
            : throw new InvalidOperationException(
                $"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.TraceSamplingRatio)} is {ratio}: expected a number from 0 (no traces) to 1 (every trace), e.g. 0.1.");
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
