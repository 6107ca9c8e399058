using System.Diagnostics;
using System.Globalization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Distributed;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Options;

namespace Bookstore.Worker.Warming;

/// <summary>
/// Warms what readers ask for first: the most popular books by ratings and live views (whole, under the same keys the
/// API reads), the recommendations of the most recently active readers, and the first pages of the popularity list.
/// Runs at start, every <see cref="WarmingOptions.IntervalMinutes"/> and on demand; writes books in pipelined batches
/// (SetManyAsync); backs off while Redis is down and resumes when it is back. The interval and the backoff run on
/// <paramref name="time"/>'s clock.
/// </summary>
public sealed partial class CacheWarmer(
    CatalogClient catalog,
    ICacheService cache,
    RedisConnectionManager redis,
    WarmingMetrics metrics,
    WarmerState state,
    IOptions<WarmingOptions> options,
    ILogger<CacheWarmer> logger,
    TimeProvider time) : BackgroundService
{
    /// <summary>Books per SetManyAsync call (itself pipelined in batches of <see cref="BulkWritePolicy.BatchSize"/>).</summary>
    private const int WriteChunk = 10_000;

    private readonly SemaphoreSlim _runNow = new(0, 1);
    private readonly WarmingOptions _options = options.Value;

    /// <summary>Asks for a run now (the dashboard's "Warm cache now"); a request while one is pending is merged into it.</summary>
    public void RequestRun()
    {
        if (_runNow.CurrentCount == 0)
        {
            try
            {
                _runNow.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another request got there first: one pending run is enough.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            var ok = await RunOnceAsync(stoppingToken);
            var wait = ok ? TimeSpan.FromMinutes(_options.IntervalMinutes) : backoff;
            backoff = ok ? TimeSpan.FromSeconds(2) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
            // SemaphoreSlim.WaitAsync(TimeSpan) waits on the system clock: the wait ends on a token cancelled by time's clock.
            using var waited = new CancellationTokenSource(wait, time);
            using var waitOrStop = CancellationTokenSource.CreateLinkedTokenSource(waited.Token, stoppingToken);
            try
            {
                await _runNow.WaitAsync(waitOrStop.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (waited.IsCancellationRequested)
            {
                // The interval or the backoff has passed without a request: run now.
            }
        }
    }

    /// <summary>One warming run; false when it could not finish (catalog or Redis unavailable).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var previous = state.Current;
        state.Set(previous with { Phase = WarmingPhase.Warming, LastError = null });
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (!redis.Health.IsConnected && (await redis.CheckAsync(cancellationToken)).IsConnected is false)
            {
                throw new InvalidOperationException("Redis is not reachable.");
            }

            var fetchStarted = Stopwatch.GetTimestamp();
            var books = await catalog.GetMostPopularBooksAsync(_options.TopBooks, cancellationToken);
            var fetchSeconds = Stopwatch.GetElapsedTime(fetchStarted).TotalSeconds;
            var recommendations = _options.ActiveReaders > 0
                ? await catalog.GetActiveReaderRecommendationsAsync(_options.ActiveReaders, cancellationToken)
                : [];
            var warmed = 0;
            var failed = 0;
            var writeStarted = Stopwatch.GetTimestamp();
            var lastLog = writeStarted;

            // Pipelined batches through SetManyAsync (the same keys and values, untagged, as the API's GET /books/{id}, so a
            // warmed book is that read's hit; each value is the API's JSON for the book as it came), a chunk at a time so
            // progress and cancellation are seen between chunks.
            foreach (var chunk in books.Chunk(WriteChunk))
            {
                var written = await cache.SetManyAsync(
                    CacheType.Books,
                    [.. chunk.Select(book => new CacheWrite<EncodedJson>(book.Id.ToString(CultureInfo.InvariantCulture), book.Json))],
                    cancellationToken);
                warmed += written;
                failed += chunk.Length - written;
                metrics.RecordWarmed("books", "warmed", written);
                if (written < chunk.Length)
                {
                    metrics.RecordWarmed("books", "failed", chunk.Length - written);
                }

                var done = warmed + failed;
                if (Stopwatch.GetElapsedTime(lastLog) > TimeSpan.FromSeconds(2) || done == books.Count)
                {
                    lastLog = Stopwatch.GetTimestamp();
                    var seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 0.001);
                    LogProgress(done, books.Count, 100.0 * done / Math.Max(books.Count, 1), done / seconds);
                }
            }

            var writeSeconds = Stopwatch.GetElapsedTime(writeStarted).TotalSeconds;
            var recommendationsFailed = await WarmRecommendationsAsync(recommendations, cancellationToken);
            for (var page = 1; page <= _options.ListPages; page++)
            {
                await catalog.WarmListPageAsync(page, cancellationToken);
                metrics.RecordWarmed("book-lists", "warmed");
            }

            // A write that FusionCache could not make in Redis does not throw: a lost connection means the run did not count.
            if (!redis.Health.IsConnected)
            {
                throw new InvalidOperationException("Redis went away during the run.");
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            state.Set(new WarmingStatus(
                WarmingPhase.Ready, previous.Runs + 1, warmed, failed, elapsed.TotalSeconds, warmed / Math.Max(elapsed.TotalSeconds, 0.001),
                DateTimeOffset.UtcNow, null, [.. books.Select(b => b.Id)])
            {
                LastUserIds = [.. recommendations.Select(r => r.Recommendations.UserId)],
                LastRecommendationsFailed = recommendationsFailed,
                LastFetchSeconds = fetchSeconds,
                LastWriteSeconds = writeSeconds,
            });
            metrics.RecordWarmingRun(elapsed, completed: true);
            LogReady(warmed, recommendations.Count - recommendationsFailed, failed + recommendationsFailed, elapsed.TotalSeconds, fetchSeconds, writeSeconds);
            return failed == 0 && recommendationsFailed == 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            state.Set(state.Current with { Phase = WarmingPhase.Degraded, LastError = ex.Message });
            metrics.RecordWarmingRun(Stopwatch.GetElapsedTime(started), completed: false);
            LogRunFailed(ex);
            return false;
        }
    }

    /// <summary>
    /// Each reader's list under the id and tags the API's <c>GET /users/{id}/recommendations</c> reads (given by the API
    /// with the list), so the reader's next visit is a hit. Returns how many could not be written.
    /// </summary>
    private async Task<int> WarmRecommendationsAsync(IReadOnlyList<RecommendationsEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            LogRecommendations(0, 0);
            return 0;
        }

        // One pipelined bulk write like the books': each list with the API's tags, so a later rating or cart change drops it.
        var written = await cache.SetManyAsync(
            CacheType.Recommendations,
            [.. entries.Select(e => new CacheWrite<Recommendations>(e.CacheId, e.Recommendations, e.Tags))],
            cancellationToken);
        var failed = entries.Count - written;
        metrics.RecordWarmed("recommendations", "warmed", written);
        if (failed > 0)
        {
            metrics.RecordWarmed("recommendations", "failed", failed);
        }

        LogRecommendations(entries.Count - failed, failed);
        return failed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warming: {Done}/{Total} books ({Percent:F0} %), {ItemsPerSecond:F0} items/s")]
    private partial void LogProgress(int done, int total, double percent, double itemsPerSecond);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache warm: {Warmed} books and {Readers} readers' recommendations warmed, {Failed} failed, in {Seconds:F2} s (books fetched in {FetchSeconds:F3} s, written in {WriteSeconds:F3} s); state ready")]
    private partial void LogReady(int warmed, int readers, int failed, double seconds, double fetchSeconds, double writeSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warming: recommendations of {Warmed} active readers warmed, {Failed} failed")]
    private partial void LogRecommendations(int warmed, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache warming did not finish; backing off and retrying (state degraded)")]
    private partial void LogRunFailed(Exception exception);
}
