using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Metrics;
using Microsoft.Extensions.Options;

namespace Bookstore.Worker.Warming;

/// <summary>
/// The warmer's instruments, <c>bookstore.warmer.items</c> (<c>cache.type</c>, <c>result</c>) and
/// <c>bookstore.warmer.run.duration</c> (<c>result</c>). They sit on the cache's <c>Bookstore.Cache</c> meter, which
/// every service exports, so the names dashboards and Prometheus queries use are the telemetry contract's; like that
/// meter's other instruments they record nothing with <c>Bookstore:Cache:EnableMetrics</c> off.
/// </summary>
public sealed class WarmingMetrics
{
    private readonly Counter<long> _items;
    private readonly Histogram<double> _runDuration;
    private readonly bool _enabled;

    public WarmingMetrics(IMeterFactory meterFactory, IOptions<CacheOptions>? options = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _enabled = options?.Value.EnableMetrics ?? true;

        // The factory owns the meter (and hands CacheMetrics the same one): it is disposed with the container, not here.
        var meter = meterFactory.Create(CacheMetrics.MeterName);
        _items = meter.CreateCounter<long>("bookstore.warmer.items", "{item}", "Items the cache warmer wrote, by type and result.");
        _runDuration = meter.CreateHistogram<double>("bookstore.warmer.run.duration", "s", "Duration of one cache warming run, by result.");
    }

    /// <summary>Counts <paramref name="count"/> items of <paramref name="cacheType"/> (books, recommendations, book-lists) with their result (warmed, failed).</summary>
    public void RecordWarmed(string cacheType, string result, long count = 1)
    {
        if (_enabled)
        {
            _items.Add(count, new TagList { { "cache.type", cacheType }, { "result", result } });
        }
    }

    public void RecordWarmingRun(TimeSpan elapsed, bool completed)
    {
        if (_enabled)
        {
            _runDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("result", completed ? "completed" : "failed"));
        }
    }
}
