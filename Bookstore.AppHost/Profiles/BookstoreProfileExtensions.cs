using System.Globalization;
using Bookstore.AppHost.Profiles;

namespace Aspire.Hosting;

public static class BookstoreProfileExtensions
{
    public static BookstoreProfile GetBookstoreProfile(this IDistributedApplicationBuilder builder)
        => BookstoreProfile.Parse(builder.Configuration[BookstoreProfile.ConfigurationKey]);

    /// <summary>Passes the profile's client-side numbers to a service as <c>Bookstore:*</c> configuration.</summary>
    public static IResourceBuilder<T> WithBookstoreProfile<T>(this IResourceBuilder<T> builder, BookstoreProfile profile)
        where T : IResourceWithEnvironment
    {
        return builder
            .WithEnvironment("Bookstore__Profile", profile.Name)
            .WithEnvironment("Bookstore__Cache__CompressionThresholdBytes", profile.CompressionThresholdBytes.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__Redis__MonitoringLevel", profile.Monitoring.ToString())
            .WithEnvironment("Bookstore__Telemetry__TraceSamplingRatio", profile.TraceSamplingRatio.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("Bookstore__Telemetry__CacheInstrumentation", profile.CacheInstrumentation ? "true" : "false");
    }
}
