using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bookstore.Caching.Metrics;

namespace Bookstore.Tests.Support;

/// <summary>
/// Records the <c>bookstore.cache.errors</c> measurements of one service instance (those of its meter factory, so other
/// hosts in the process do not count), each with its operation, error type and the time on <paramref name="clock"/>.
/// </summary>
internal sealed class CacheErrorListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<CacheError> _errors = new();

    public CacheErrorListener(IMeterFactory scope, Stopwatch? clock = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CacheMetrics.MeterName && instrument.Name == "bookstore.cache.errors" && instrument.Meter.Scope == scope)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? operation = null, errorType = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "cache.operation": operation = tag.Value as string; break;
                    case "error.type": errorType = tag.Value as string; break;
                }
            }

            _errors.Enqueue(new CacheError(clock?.Elapsed ?? TimeSpan.Zero, value, operation, errorType));
        });
        _listener.Start();
    }

    public IReadOnlyList<CacheError> Errors => [.. _errors];

    public long Between(TimeSpan from, TimeSpan to) => _errors.Where(e => e.At >= from && e.At < to).Sum(e => e.Count);

    public Dictionary<int, long> BySecond() =>
        _errors.GroupBy(e => (int)e.At.TotalSeconds).ToDictionary(g => g.Key, g => g.Sum(e => e.Count));

    public void Dispose() => _listener.Dispose();
}

internal sealed record CacheError(TimeSpan At, long Count, string? Operation, string? ErrorType);
