using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Bookstore.Benchmarks.Serialization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Metrics;
using Bookstore.Caching.Redis;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using ZiggyCreatures.Caching.Fusion;

namespace Bookstore.Benchmarks.Caching;

/// <summary>
/// An L1 hit of the same <see cref="Book"/> (goodbooks-10k book 42) through raw FusionCache (the baseline), through
/// <see cref="CacheService"/> with metrics on and off, and through Microsoft's HybridCache. No Redis: every cache
/// has its memory level only, which is all a hit touches. Targets (docs/performance.md): CacheService ≤ 1.15× and
/// no more bytes than raw FusionCache; ≤ 0.25× HybridCache, which deserializes a mutable type on every hit; metrics
/// on within 3 % of metrics off.
/// The baseline is what a developer would write with FusionCache alone for the same entry: the key built from the
/// book's id on each call (<c>$"bookstore:v1:books:{id}"</c>, the key CacheService uses) and
/// <c>GetOrSetAsync</c> with the Books policy's entry options. <c>RawFusionCacheKeyReady</c> is the same call with the
/// key string already built, the floor no wrapper can go under.
/// </summary>
/// <remarks>
/// The CacheService containers are built like production (<c>AddTypedCacheMemoryLevel</c>, the Redis-free part of
/// <c>AddBookstoreCache</c>) and listen to the <c>Bookstore.Cache</c> meter through the OpenTelemetry SDK as
/// ServiceDefaults does, with an exporter that drops what it is given: a meter nobody listens to records nothing,
/// so without a listener "metrics on" would cost nothing here and everything in production.
/// </remarks>
[MemoryDiagnoser]
public class CacheHitBenchmarks
{
    private const string FullKey = "bookstore:v1:books:42";
    private const string TaggedBookId = "43";

    // Not constants: a constant id would let the compiler build the baseline's key once, at compile time.
    private readonly int _bookNumber = 42;
    private string _bookId = "42";

    private readonly List<IDisposable> _owned = [];
    private Book _book = null!;
    private IFusionCache _fusionCache = null!;
    private FusionCacheEntryOptions _fusionOptions = null!;
    private Func<FusionCacheFactoryExecutionContext<Book>, CancellationToken, Task<Book>> _fusionFactory = null!;
    private IFusionCache _configuredFusionCache = null!;
    private FusionCacheEntryOptions _memoryOnlyOptions = null!;
    private ICacheService _cacheService = null!;
    private ICacheService _cacheServiceMetricsOff = null!;
    private Func<CancellationToken, Task<Book>> _serviceFactory = null!;
    private string[] _taggedBookTags = null!;
    private HybridCache _hybridCache = null!;
    private HybridCacheEntryOptions _hybridOptions = null!;
    private Func<CancellationToken, ValueTask<Book>> _hybridFactory = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _book = GoodbooksCatalog.Load(42).Single(b => b.Id == _bookNumber);
        _bookId = _bookNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var book = _book;
        _fusionFactory = (_, _) => Task.FromResult(book);
        _serviceFactory = _ => Task.FromResult(book);
        _hybridFactory = _ => ValueTask.FromResult(book);
        var policy = CachePolicyTable.Default(CacheType.Books);

        // The entry options CacheService derives for Books (duration, L1 duration, fail-safe, eager refresh, jitter).
        _fusionOptions = new FusionCacheEntryOptions
        {
            Duration = policy.Duration!.Value,
            MemoryCacheDuration = policy.L1Duration,
            IsFailSafeEnabled = policy.FailSafe,
            FailSafeMaxDuration = policy.FailSafeMaxDuration,
            FailSafeThrottleDuration = TimeSpan.FromSeconds(30),
            EagerRefreshThreshold = policy.EagerRefreshThreshold,
            JitterMaxDuration = policy.JitterMaxDuration,
            Size = 1,
        };
        var fusionServices = new ServiceCollection().AddLogging();
        fusionServices.AddFusionCache().WithOptions(o => o.DefaultEntryOptions.Size = 1);
        _fusionCache = Own(fusionServices.BuildServiceProvider()).GetRequiredService<IFusionCache>();

        _cacheService = BuildCacheService(enableMetrics: true, out var productionFusionCache);
        _cacheServiceMetricsOff = BuildCacheService(enableMetrics: false, out _);
        _configuredFusionCache = productionFusionCache;
        _memoryOnlyOptions = new FusionCacheEntryOptions
        {
            Duration = policy.L1Duration,
            SkipDistributedCacheRead = true,
            SkipDistributedCacheWrite = true,
            Size = 1,
        };

        // No IDistributedCache: HybridCache still keeps a mutable type serialized in its L1 and deserializes each hit.
        var hybridServices = new ServiceCollection().AddLogging();
        hybridServices.AddHybridCache();
        _hybridCache = Own(hybridServices.BuildServiceProvider()).GetRequiredService<HybridCache>();
        _hybridOptions = new HybridCacheEntryOptions { Expiration = policy.Duration, LocalCacheExpiration = policy.L1Duration };

        await RawFusionCache();
        Check(ReferenceEquals(await RawFusionCacheKeyReady(), book), "raw FusionCache did not find the entry under the ready key");
        await CacheService();
        _taggedBookTags = [CacheTags.Book(43)];
        await CacheServiceTaggedEntry();
        Check(ReferenceEquals(await CacheServiceTaggedEntry(), book), "CacheService did not return the tagged cached instance");
        Check((await FusionCacheAsConfigured()).HasValue, "the production-configured FusionCache does not hold books:42");
        await CacheServiceMetricsOff();
        await HybridCache();
        Check(ReferenceEquals(await RawFusionCache(), book), "raw FusionCache did not return the cached instance");
        Check(ReferenceEquals(await CacheService(), book), "CacheService did not return the cached instance");
        Check(ReferenceEquals(await CacheServiceMetricsOff(), book), "CacheService (metrics off) did not return the cached instance");
        var first = await HybridCache();
        var second = await HybridCache();
        Check(first.Title == book.Title && first.Authors.SequenceEqual(book.Authors), "HybridCache returned another book");
        Check(!ReferenceEquals(first, book) && !ReferenceEquals(first, second), "HybridCache did not deserialize a fresh copy on each hit");
        Console.WriteLine("// HybridCache returned an equal but new Book on each hit: it deserializes per hit.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    public ValueTask<Book> RawFusionCache() =>
        _fusionCache.GetOrSetAsync<Book>(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"bookstore:v1:books:{_bookNumber}"), _fusionFactory, _fusionOptions);

    /// <summary>Diagnostic: the baseline with its key string built once, outside the measured call.</summary>
    [Benchmark]
    public ValueTask<Book> RawFusionCacheKeyReady() => _fusionCache.GetOrSetAsync<Book>(FullKey, _fusionFactory, _fusionOptions);

    /// <summary>
    /// Diagnostic: the one FusionCache call a CacheService hit makes (memory-only TryGet of the full key on the Books
    /// type's own cache, on the entry CacheService wrote), so the table separates what FusionCache does for our
    /// configuration from what CacheService's own code adds.
    /// </summary>
    [Benchmark]
    public ValueTask<MaybeValue<Book>> FusionCacheAsConfigured() => _configuredFusionCache.TryGetAsync<Book>(FullKey, _memoryOnlyOptions);

    [Benchmark]
    public ValueTask<Book> CacheService() => _cacheService.GetOrSetAsync(CacheType.Books, _bookId, _serviceFactory);

    [Benchmark]
    public ValueTask<Book> CacheServiceMetricsOff() => _cacheServiceMetricsOff.GetOrSetAsync(CacheType.Books, _bookId, _serviceFactory);

    /// <summary>
    /// Diagnostic: a hit on an entry that carries a tag, as the API's books do (<c>book:{id}</c>, so that
    /// InvalidateBookAsync reaches the pages and recommendations naming the book): FusionCache checks each tag of an
    /// entry on every hit.
    /// </summary>
    [Benchmark]
    public ValueTask<Book> CacheServiceTaggedEntry() => _cacheService.GetOrSetAsync(CacheType.Books, TaggedBookId, _serviceFactory, _taggedBookTags);

    [Benchmark]
    public ValueTask<Book> HybridCache() => _hybridCache.GetOrCreateAsync(FullKey, _hybridFactory, _hybridOptions);

    private ICacheService BuildCacheService(bool enableMetrics, out IFusionCache fusionCache)
    {
        var services = new ServiceCollection().AddLogging().AddMetrics();
        services.AddOptions<CacheOptions>().Configure(o => o.EnableMetrics = enableMetrics);
        services.AddSingleton<CacheMetrics>();

        // Books never reach IRedisService (only Persistent types do), so no Redis connection is made.
        services.AddSingleton<IRedisService, UnsupportedRedisService>();
        BookstoreCachingExtensions.AddTypedCacheMemoryLevel(services, new CachePolicyTable());

        // One listener in the process: it subscribes to every meter of that name, so a second would double the cost.
        if (enableMetrics)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(CacheMetrics.MeterName)
                .AddReader(new PeriodicExportingMetricReader(new DroppingExporter(), exportIntervalMilliseconds: 60_000)));
        }

        var provider = Own(services.BuildServiceProvider());
        if (enableMetrics)
        {
            _ = provider.GetRequiredService<MeterProvider>();
        }

        fusionCache = provider.GetRequiredService<IFusionCacheProvider>().GetCache(Bookstore.Caching.Typed.CacheService.CacheNameOf(CacheType.Books));
        return provider.GetRequiredService<ICacheService>();
    }

    private ServiceProvider Own(ServiceProvider provider)
    {
        _owned.Add(provider);
        return provider;
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark setup is wrong: {problem}.");
        }
    }

    private sealed class DroppingExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }

    /// <summary>Stands in for Redis, which an L1 hit of a non-persistent type never calls: any call is a benchmark bug.</summary>
    private sealed class UnsupportedRedisService : IRedisService
    {
        public Task<CacheLookup<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CacheRead<T>> ReadAsync<T>(string key, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> SetAsync<T>(string key, T value, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CounterResult> DeleteByPrefixAsync(string prefix, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CounterResult> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CounterResult> DecrementAsync(string key, long by = 1, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> ExpireAsync(string key, TimeSpan? timeToLive, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CacheLookup<TimeSpan?>> TimeToLiveAsync(string key, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<IReadOnlyList<CacheLookup<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken = default) =>
            throw Unsupported();

        public Task<bool> SetManyAsync<T>(
            IReadOnlyCollection<KeyValuePair<string, T>> entries, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default) =>
            throw Unsupported();

        public Task<CounterResult> IncrementScoreAsync(string key, string member, long by = 1, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> IncrementScoresAsync(string key, IReadOnlyCollection<KeyValuePair<string, long>> increments, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<bool> SetScoreAsync(string key, string member, double score, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CacheLookup<IReadOnlyList<ScoredMember>>> GetTopScoresAsync(
            string key, int count, double minScore = double.NegativeInfinity, CancellationToken cancellationToken = default) => throw Unsupported();

        public Task<CacheLookup<IReadOnlyList<double?>>> GetScoresAsync(
            string key, IReadOnlyList<string> members, CancellationToken cancellationToken = default) => throw Unsupported();

        private static NotSupportedException Unsupported() =>
            new("The cache-hit benchmark has no Redis: only Persistent cache types call IRedisService, and Books is not one.");
    }
}
