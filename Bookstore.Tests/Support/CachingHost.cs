using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bookstore.Tests.Support;

/// <summary>
/// A generic host wired exactly as a Bookstore service wires Redis (<c>AddBookstoreRedis</c>) and registers the catalog
/// types with the cache, against a test server.
/// </summary>
internal static class CachingHost
{
    public static Task<IHost> StartAsync(ITestRedis server, params KeyValuePair<string, string?>[] settings) =>
        StartAsync(server, withTypedCache: false, settings);

    /// <summary>A host with the typed cache (<c>AddBookstoreCache</c>): FusionCache L1 + L2 + backplane on the server.</summary>
    public static Task<IHost> StartWithCacheAsync(ITestRedis server, params KeyValuePair<string, string?>[] settings) =>
        StartAsync(server, withTypedCache: true, settings);

    public static Task<IHost> StartWithCacheAsync(ITestRedis server, Action<IServiceCollection> services) =>
        StartAsync(server, withTypedCache: true, [], services);

    private static async Task<IHost> StartAsync(
        ITestRedis server, bool withTypedCache, KeyValuePair<string, string?>[] settings, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "Bookstore.Tests",
            EnvironmentName = Environments.Development,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(
        [
            .. server.ServiceSettings,
            new("Bookstore:Redis:OperationTimeoutMs", "1000"),
            new("Bookstore:Redis:ConnectTimeoutMs", "2000"),
            new("Bookstore:Redis:HealthCheckIntervalSeconds", "1"),
            new("Bookstore:Redis:ReconnectBaseDelayMs", "100"),
            new("Bookstore:Redis:ReconnectMaxDelayMs", "1000"),
        ]);

        // A second source, so a test's settings (e.g. another connection string) override the defaults above.
        builder.Configuration.AddInMemoryCollection(settings);
        if (withTypedCache)
        {
            builder.AddBookstoreCache();
        }
        else
        {
            builder.AddBookstoreRedis();
        }

        builder.Services.Configure<CacheOptions>(options => options.WithCatalogTypes());
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public static T Get<T>(this IHost host)
        where T : notnull => host.Services.GetRequiredService<T>();
}
