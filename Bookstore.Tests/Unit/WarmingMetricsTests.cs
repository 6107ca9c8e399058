extern alias worker;

using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Unit;

/// <summary>The worker's warming instruments keep the names, attributes and meter dashboards and Prometheus rules use.</summary>
[Trait("Category", "Unit")]
public sealed class WarmingMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void WarmedItemsAreCountedByCacheTypeAndResultOnAnExportedMeter()
    {
        using var items = new MetricCollector<long>(Meters, CacheMetrics.MeterName, "bookstore.warmer.items");
        var metrics = new WarmingMetrics(Meters);

        metrics.RecordWarmed("books", "warmed", 40);
        metrics.RecordWarmed("books", "failed", 2);
        metrics.RecordWarmed("book-lists", "warmed");

        Assert.Equal(
            [(40L, "books", "warmed"), (2L, "books", "failed"), (1L, "book-lists", "warmed")],
            items.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["cache.type"], m.Tags["result"])));
        Assert.Contains(items.Instrument!.Meter.Name, ServiceDefaultsExtensions.BookstoreMeters);
    }

    [Fact]
    public void RunDurationIsRecordedInSecondsByResult()
    {
        using var runs = new MetricCollector<double>(Meters, CacheMetrics.MeterName, "bookstore.warmer.run.duration");
        var metrics = new WarmingMetrics(Meters);

        metrics.RecordWarmingRun(TimeSpan.FromMilliseconds(1500), completed: true);
        metrics.RecordWarmingRun(TimeSpan.FromMilliseconds(250), completed: false);

        Assert.Equal("s", runs.Instrument!.Unit);
        Assert.Equal([(1.5, "completed"), (0.25, "failed")], runs.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["result"])));
    }

    [Fact]
    public void NothingIsRecordedWhenCacheMetricsAreOff()
    {
        using var items = new MetricCollector<long>(Meters, CacheMetrics.MeterName, "bookstore.warmer.items");
        using var runs = new MetricCollector<double>(Meters, CacheMetrics.MeterName, "bookstore.warmer.run.duration");
        var metrics = new WarmingMetrics(Meters, Microsoft.Extensions.Options.Options.Create(new CacheOptions { EnableMetrics = false }));

        metrics.RecordWarmed("books", "warmed", 40);
        metrics.RecordWarmingRun(TimeSpan.FromSeconds(1), completed: true);

        Assert.Empty(items.GetMeasurementSnapshot());
        Assert.Empty(runs.GetMeasurementSnapshot());
    }
}
