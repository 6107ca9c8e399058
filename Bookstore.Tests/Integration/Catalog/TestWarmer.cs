extern alias worker;

using System.Diagnostics.Metrics;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Typed;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The worker's warmer wired as the worker wires it: the in-process API as its catalog, a caching host's cache, and
/// <paramref name="time"/> (the system clock unless given) for its interval and backoff.
/// </summary>
internal static class TestWarmer
{
    public static CacheWarmer Create(CatalogApiFactory api, IHost host, WarmerState state, WarmingOptions options, TimeProvider? time = null) => new(
        new CatalogClient(api.CreateDefaultClient(new Uri("http://localhost"), new CatalogApiKeyHandler(api.AdminKey))),
        host.Get<ICacheService>(),
        host.Get<RedisConnectionManager>(),
        new WarmingMetrics(host.Get<IMeterFactory>()),
        state,
        Microsoft.Extensions.Options.Options.Create(options),
        NullLogger<CacheWarmer>.Instance,
        time ?? TimeProvider.System);
}
