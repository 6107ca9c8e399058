using System.ComponentModel.DataAnnotations;

namespace Bookstore.ServiceDefaults.Telemetry;

/// <summary>Section <c>Bookstore:Telemetry</c>: how much of the service's traffic is traced.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Bookstore:Telemetry";

    /// <summary>The ratio used when <see cref="TraceSamplingRatio"/> is not set, outside Development.</summary>
    public const double DefaultProductionRatio = 0.1;

    /// <summary>
    /// The share of traces recorded, 0 to 1, decided where a trace starts (by its trace id) and followed by every span
    /// below it, here and in the services it calls (parent-based). Not set: every trace in Development,
    /// <see cref="DefaultProductionRatio"/> elsewhere. The AppHost's profile sets it (Local and Development 1, Production 0.1).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? TraceSamplingRatio { get; set; }

    /// <summary>
    /// Spans and meters of the cache's own libraries: FusionCache's (<c>ZiggyCreatures.Caching.Fusion*</c>, a span per
    /// cache call and its counters beside <c>Bookstore.Cache</c>'s) and a span per Redis command (Aspire's Redis client
    /// tracing, read by <c>AddBookstoreRedis</c>). Not set: on in Development, off elsewhere. Off is the fast choice:
    /// while they listen, FusionCache builds its tags and StackExchange.Redis keeps a profiling session on every call,
    /// sampled or not. The AppHost's profile sets it (Local and Development on, Production off).
    /// </summary>
    public bool? CacheInstrumentation { get; set; }
}
