using Bookstore.Caching.Configuration;
using Bookstore.Catalog.Contracts;
using Bookstore.Worker.Warming;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class WarmingExtensions
{
    public static IHostApplicationBuilder AddCacheWarming(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WarmingOptions>().BindConfiguration(WarmingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient<CatalogClient>((sp, http) =>
                http.BaseAddress = new Uri(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WarmingOptions>>().Value.CatalogUrl))
            .AddHttpMessageHandler(sp => new CatalogApiKeyHandler(sp.GetRequiredService<IConfiguration>()[CatalogApiKeyHandler.ConfigurationKey]));
        builder.Services.Configure<CacheOptions>(cache => cache.JsonTypeInfoResolvers.Add(CatalogJsonContext.Default));
        builder.Services.AddSingleton<WarmingMetrics>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WarmerState>();
        builder.Services.AddSingleton<CacheWarmer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheWarmer>());
        builder.Services.AddHealthChecks().AddCheck<WarmingHealthCheck>("warming", HealthStatus.Degraded, ["ready"]);
        return builder;
    }
}
