using System.ComponentModel.DataAnnotations;
using Bookstore.Caching.Backplane;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Monitoring;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;

namespace Microsoft.Extensions.Hosting;

public static class BookstoreCachingExtensions
{
    /// <summary>
    /// Redis for a Bookstore service: Aspire's Redis client (the process's one multiplexer) configured from
    /// <c>Bookstore:Redis</c> and the <c>REDIS_*</c> aliases, the connection manager, serializer, metrics,
    /// <see cref="IRedisService"/> and a Degraded-on-failure health check. Invalid settings fail here, at start.
    /// </summary>
    public static IHostApplicationBuilder AddBookstoreRedis(this IHostApplicationBuilder builder, string connectionName = "cache")
    {
        builder.Configuration.AddRedisEnvironmentAliases();

        var redisOptions = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        ValidateNow(redisOptions, RedisOptions.SectionName);

        builder.Services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        var clientSettings = new RedisClientSettings
        {
            MonitorConnectionString = builder.Configuration.GetConnectionString(connectionName + "-monitor"),
            Topology = redisOptions.Topology,
        };
        builder.Services.AddSingleton(clientSettings);
        builder.AddRedisClient(
            connectionName,
            settings =>
            {
                // Our health check reports Degraded from the connection manager's PING; Aspire's would report Unhealthy.
                settings.DisableHealthChecks = true;

                // A span per Redis command only with cache instrumentation on (Bookstore:Telemetry:CacheInstrumentation;
                // not set: in Development): the client's profiler otherwise keeps a session per request, sampled or not.
                settings.DisableTracing = !(builder.Configuration.GetValue<bool?>(CacheInstrumentationSetting) ?? builder.Environment.IsDevelopment());
                settings.ConnectionString ??= RedisClientConfiguration.ConnectionStringFrom(redisOptions);
                clientSettings.IsConfigured = !string.IsNullOrWhiteSpace(settings.ConnectionString);
            },
            configuration =>
            {
                RedisClientConfiguration.Apply(configuration, redisOptions, builder.Environment.ApplicationName);
                clientSettings.Capture(configuration);
            });

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<CacheMetrics>();
        builder.Services.TryAddSingleton<CacheSerializer>();
        builder.Services.TryAddSingleton<RedisConnectionManager>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisConnectionManager>());
        builder.Services.TryAddSingleton<IRedisService, RedisService>();
        builder.Services.PostConfigure<CacheOptions>(o =>
        {
            if (!o.JsonTypeInfoResolvers.Contains(MonitoringJsonContext.Default))
            {
                o.JsonTypeInfoResolvers.Add(MonitoringJsonContext.Default);
            }
        });
        builder.Services.TryAddSingleton<RedisServerMonitor>();
        if (redisOptions.EnableMonitoring)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisServerMonitor>());
        }

        builder.Services.AddHealthChecks().AddCheck<RedisConnectionHealthCheck>(
            RedisConnectionHealthCheck.Name, HealthStatus.Degraded, ["ready", "redis"]);

        return builder;
    }

    /// <summary>The channel prefix of the FusionCache backplane (the ACL grants the app user this channel pattern).</summary>
    public const string BackplaneChannelPrefix = "bookstore:backplane";

    /// <summary>
    /// The switch for the cache libraries' own spans and meters (ServiceDefaults' <c>TelemetryOptions.CacheInstrumentation</c>),
    /// read here too because Aspire's Redis client decides on its command tracing while it is added.
    /// </summary>
    public const string CacheInstrumentationSetting = "Bookstore:Telemetry:CacheInstrumentation";

    /// <summary>The log category of FusionCache's own lines (and the prefix of its meters and activity source).</summary>
    public const string FusionCacheLogCategory = "ZiggyCreatures.Caching.Fusion";

    /// <summary>Entries the L1 memory cache holds per process before it compacts (each entry counts 1).</summary>
    public const int L1MaxEntries = 50_000;

    /// <summary>
    /// <see cref="AddBookstoreRedis"/> plus the typed cache: FusionCache with an L1 memory cache, L2 Redis and the
    /// Redis backplane, all on the process's one multiplexer, <see cref="CacheSerializer"/> as its serializer,
    /// and <see cref="ICacheService"/> with the policy table from <c>Bookstore:Cache:Policies</c>.
    /// </summary>
    public static IHostApplicationBuilder AddBookstoreCache(this IHostApplicationBuilder builder, string connectionName = "cache")
    {
        builder.AddBookstoreRedis(connectionName);

        // FusionCache logs every operation (several lines a cache call); a service logs none of them unless its
        // configuration names the category (Logging:LogLevel:ZiggyCreatures.Caching.Fusion), which then decides.
        if (!builder.Configuration.GetSection("Logging:LogLevel").GetChildren().Any(level => level.Key.StartsWith(FusionCacheLogCategory, StringComparison.Ordinal)))
        {
            builder.Logging.AddFilter(FusionCacheLogCategory, LogLevel.Warning);
        }

        var cacheOptions = builder.Configuration.GetSection(CacheOptions.SectionName).Get<CacheOptions>() ?? new CacheOptions();
        var policies = new CachePolicyTable(cacheOptions.Policies);
        builder.Services.PostConfigure<CacheOptions>(o =>
        {
            if (!o.JsonTypeInfoResolvers.OfType<FusionCacheTypesJsonResolver>().Any())
            {
                o.JsonTypeInfoResolvers.Add(PrimitiveJsonContext.Default);
                o.JsonTypeInfoResolvers.Add(new FusionCacheTypesJsonResolver());
            }
        });

        builder.Services.TryAddSingleton<InvalidationStamps>();
        builder.Services.TryAddSingleton(BulkWritePolicy.Default);
        builder.Services.TryAddSingleton<L1DropChannel>();
        builder.Services.TryAddSingleton(sp => new CacheBulkWriter(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RedisStringDistributedCache>(),
            sp.GetRequiredService<BulkWritePolicy>(),
            sp.GetRequiredService<L1DropChannel>(),
            sp.GetRequiredService<CacheL1Store>(),
            sp.GetRequiredService<CacheMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CacheBulkWriter>>()));
        builder.Services.TryAddSingleton(_ => new BackplaneSubscriptions(policies.All.Count + 1));
        builder.Services.AddHostedService<L1DropSubscriber>();
        builder.Services.TryAddSingleton<ReplicaReadRouting>();
        builder.Services.TryAddSingleton(sp => new RedisStringDistributedCache(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<RedisConnectionManager>(),
            sp.GetRequiredService<ReplicaReadRouting>(),
            sp.GetRequiredService<TimeProvider>()));
        AddTypedCacheMemoryLevel(builder.Services, policies, (cache, type) => cache
            .WithSerializer(sp => new FusionCacheSerializerAdapter(sp.GetRequiredService<CacheSerializer>(), sp.GetRequiredService<CacheMetrics>()))
            .WithDistributedCache(sp => sp.GetRequiredService<RedisStringDistributedCache>())
            .WithBackplane(sp =>
            {
                // FusionCache calls the factory once, then subscribes: waiting for the first connect keeps that
                // SUBSCRIBE from failing (and being logged as an error) while the multiplexer is still connecting.
                var connection = sp.GetRequiredService<RedisConnectionManager>();
                return new ChangeNoticingBackplane(
                    new RedisBackplane(new RedisBackplaneOptions { ConnectionMultiplexerFactory = () => connection.WhenConnectedAsync() }),
                    sp.GetRequiredService<ReplicaReadRouting>(),
                    connection,
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<BackplaneSubscriptions>());
            }));

        // After L1DropSubscriber (hosted services start in turn): every cache created and subscribed before requests come.
        builder.Services.AddHostedService<BackplaneSubscriptionStartup>();

        return builder;
    }

    /// <summary>
    /// The Redis-free part of <see cref="AddBookstoreCache"/>: the policy table, one named FusionCache per
    /// <see cref="CacheType"/> with its options on the one L1 memory cache, and <see cref="CacheService"/>.
    /// <paramref name="addLevel2"/> adds each cache's serializer, L2 and backplane; the benchmarks leave it out to
    /// measure the L1 path with the production options.
    /// </summary>
    /// <remarks>
    /// One cache per type, so that flushing a type is that cache's Clear (a timestamp FusionCache compares on a hit)
    /// rather than a type tag on every entry (a second cache lookup on every hit). The caches take full keys
    /// (<c>bookstore:v1:books:42</c>, built once per small id) and no key prefix, so a hit builds no key string; each
    /// has its own tag-key prefix (<c>bookstore:v1:books:#tag:</c>, '#' never appears in an id) and backplane channel
    /// (<c>bookstore:backplane:books.Backplane:v2</c>), since a message on a shared channel would make every type's
    /// cache drop the key from the shared L1.
    /// </remarks>
    internal static void AddTypedCacheMemoryLevel(
        IServiceCollection services, CachePolicyTable policies, Action<IFusionCacheBuilder, CacheType>? addLevel2 = null)
    {
        services.AddSingleton(policies);

        // The L1 store, registered so /cache/stats can report how many entries it holds.
        services.TryAddSingleton(_ => new CacheL1Store(L1MaxEntries));
        services.TryAddSingleton<CacheService>();
        services.TryAddSingleton<ICacheService>(sp => sp.GetRequiredService<CacheService>());
        foreach (var policy in policies.All)
        {
            var segment = CacheService.SegmentOf(policy.Type);
            var cache = services.AddFusionCache(CacheService.CacheNameOf(policy.Type))
                .WithOptions(options =>
                {
                    // Keys in Redis are exactly our keys (bookstore:v1:...), so the ACL's key pattern covers them.
                    options.DistributedCacheKeyModifierMode = CacheKeyModifierMode.None;
                    options.BackplaneChannelPrefix = BackplaneChannelPrefixOf(segment);
                    options.InternalStrings.TagCacheKeyPrefix = CacheService.KeyPrefixOf(policy.Type) + "#tag:";

                    // The keys given are already unique per type (see remarks): no prefix is needed.
                    options.MissingCacheKeyPrefixWarningLogLevel = Microsoft.Extensions.Logging.LogLevel.Debug;
                    options.TagsDefaultEntryOptions.Size = 1;

                    // FusionCache awaits a tag's backplane message (TagsDefaultEntryOptions.AllowBackgroundBackplaneOperations
                    // is false): the other replicas have it before the write that removed the tag is acknowledged. The
                    // backplane (ChangeNoticingBackplane) bounds each message by Bookstore:Redis:CacheTimeoutMs, so a hung
                    // Redis does not hold the write for the client's own 1-2 s command timeout (HungRedisTests).
                    options.DefaultEntryOptions.Size = 1;

                    // An L2 entry that does not decode is untrusted input handled as designed (a miss, replaced by the
                    // factory's value, counted in bookstore.cache.errors): one warning, as RedisService logs it, not an error.
                    options.SerializationErrorsLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning;
                })
                .WithMemoryCache(sp => sp.GetRequiredService<CacheL1Store>().Memory);
            addLevel2?.Invoke(cache, policy.Type);
        }
    }

    /// <summary>The backplane channel prefix of one type's cache, under <see cref="BackplaneChannelPrefix"/>.</summary>
    internal static string BackplaneChannelPrefixOf(string segment) => BackplaneChannelPrefix + ":" + segment;

    private static void ValidateNow(object options, string section)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException(
                $"Invalid '{section}' settings: " + string.Join("; ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")));
        }
    }
}
