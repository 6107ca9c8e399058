using System.Globalization;
using Bookstore.Api.Catalog;
using Bookstore.Caching.Metrics;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bookstore.Tests.Security;

/// <summary>
/// What a request reached: calls into the catalog store (every <see cref="ICatalogStore"/> method, counted by a
/// decorator around the real store), the typed cache's lookups per type (<see cref="CacheMetrics"/>), and the key
/// lookups Redis itself counted (<c>keyspace_hits + keyspace_misses</c>, read as admin). The API runs with the server
/// monitor off, so nothing in the background looks up keys.
/// </summary>
internal sealed class ApiAccessProbe : IAsyncDisposable
{
    private readonly CatalogApiFactory _api;
    private readonly ConnectionMultiplexer _admin;

    private ApiAccessProbe(CatalogApiFactory api, ConnectionMultiplexer admin)
    {
        _api = api;
        _admin = admin;
    }

    public static async Task<ApiAccessProbe> StartAsync(RedisServer redis, string sqlitePath, Action<IWebHostBuilder>? configure = null)
    {
        var api = new CatalogApiFactory(redis, sqlitePath, builder =>
        {
            builder.UseSetting("Bookstore:Redis:EnableMonitoring", "false");
            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(s => s.ServiceType == typeof(ICatalogStore));
                services.Remove(real);
                services.AddSingleton<StoreCalls>();
                services.AddSingleton(sp => InterceptedCatalogStore.Wrap(
                    (ICatalogStore)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!), before: _ => sp.GetRequiredService<StoreCalls>().Add()));
            });
            configure?.Invoke(builder);
        });
        using (api.CreateClient())
        {
            // Starts the API (and its seeding) before anything is measured.
        }

        return new ApiAccessProbe(api, await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true"));
    }

    public CatalogApiFactory Api => _api;

    public async Task<Sample> SampleAsync()
    {
        var stats = (await _admin.GetServer(_admin.GetEndPoints()[0]).InfoAsync("stats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        var lookups = _api.Services.GetRequiredService<CacheMetrics>().Snapshot().Types
            .ToDictionary(t => t.CacheType, t => t.Hits + t.Misses + t.Stale + t.Errors);
        return new Sample(
            _api.Services.GetRequiredService<StoreCalls>().Count,
            lookups,
            long.Parse(stats["keyspace_hits"], CultureInfo.InvariantCulture) + long.Parse(stats["keyspace_misses"], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _api.DisposeAsync();
    }

    public sealed record Sample(long StoreCalls, IReadOnlyDictionary<string, long> CacheLookups, long RedisKeyLookups)
    {
        public long CacheLookupsOf(string type) => CacheLookups.GetValueOrDefault(type);

        public long CacheLookupsExcept(string type) => CacheLookups.Where(p => p.Key != type).Sum(p => p.Value);
    }

    public sealed class StoreCalls
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }
}
