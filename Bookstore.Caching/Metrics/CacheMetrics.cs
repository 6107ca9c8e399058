using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Options;

namespace Bookstore.Caching.Metrics;

/// <summary>Values of the <c>cache.outcome</c> attribute.</summary>
public enum CacheOutcome
{
    Hit,
    Miss,
    Stale,
    Error,
}

/// <summary>Values of the <c>cache.level</c> attribute.</summary>
public enum CacheLevel
{
    L1,
    L2,
}

/// <summary>
/// The <c>Bookstore.Cache</c> meter (instrument names and attributes are the telemetry contract of DESIGN.md)
/// plus an in-process snapshot of the same figures for the HTTP monitoring endpoints.
/// </summary>
public sealed class CacheMetrics : IDisposable
{
    public const string MeterName = "Bookstore.Cache";

    /// <summary>Distinct <c>cache.type</c> values kept apart; further ones are counted as "other" so cardinality stays bounded.</summary>
    internal const int MaxCacheTypes = 64;

    private static readonly CacheLevel[] Levels = Enum.GetValues<CacheLevel>();
    private static readonly CacheOutcome[] Outcomes = Enum.GetValues<CacheOutcome>();

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Histogram<long> _payloadSize;
    private readonly ConcurrentDictionary<string, CacheTypeCounters> _types = new(StringComparer.Ordinal);

    private readonly bool _enabled;
    private long _operations;
    private long _operationErrors;
    private long _durationTicks;

    public CacheMetrics(IMeterFactory meterFactory, IOptions<CacheOptions>? options = null)
    {
        _enabled = options?.Value.EnableMetrics ?? true;
        _meter = meterFactory.Create(MeterName);
        // An observable counter over the striped per-(type, level, outcome) counts: a lookup pays one interlocked
        // increment (which /cache/stats needs anyway) and the SDK reads the sums at collection time, instead of
        // aggregating a measurement with three attributes on every L1 hit.
        _meter.CreateObservableCounter("bookstore.cache.requests", ObserveRequests, "{request}", "Cache lookups by type, level and outcome.");
        _duration = _meter.CreateHistogram<double>("bookstore.cache.operation.duration", "s", "Duration of cache and Redis operations.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _errors = _meter.CreateCounter<long>("bookstore.cache.errors", "{error}", "Failed cache operations by operation and error type.");
        _payloadSize = _meter.CreateHistogram<long>("bookstore.cache.payload.size", "By", "Size of values written to Redis.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304] });
        _meter.CreateObservableGauge("bookstore.cache.hit_ratio", ObserveHitRatios, "1", "Hits / (hits + misses + stale) since start, by cache type.");
    }

    /// <summary>Counts one lookup with its outcome.</summary>
    public void RecordRequest(string cacheType, CacheLevel level, CacheOutcome outcome) => RecordRequest(For(cacheType), level, outcome);

    /// <summary>
    /// <see cref="RecordRequest(string, CacheLevel, CacheOutcome)"/> with the type's counters resolved once by the
    /// caller (<see cref="CountersFor"/>), so the L1-hit path does not look them up on every call.
    /// </summary>
    internal static void RecordRequest(CacheTypeCounters counters, CacheLevel level, CacheOutcome outcome) => counters.Record(level, outcome);

    /// <summary>Times one operation; <paramref name="failed"/> operations count towards the error rate.</summary>
    public void RecordOperation(string operation, string cacheType, TimeSpan elapsed, bool failed = false)
    {
        if (CountOperation(elapsed, failed))
        {
            RecordDuration(operation, For(cacheType).Name, elapsed);
        }
    }

    /// <summary><see cref="RecordOperation(string, string, TimeSpan, bool)"/> with the type's counters already resolved.</summary>
    internal void RecordOperation(string operation, CacheTypeCounters counters, TimeSpan elapsed, bool failed = false)
    {
        if (CountOperation(elapsed, failed))
        {
            RecordDuration(operation, counters.Name, elapsed);
        }
    }

    /// <summary>The counters <paramref name="cacheType"/> is recorded in (those of "other" past <see cref="MaxCacheTypes"/>).</summary>
    internal CacheTypeCounters CountersFor(string cacheType) => For(cacheType);

    public void RecordError(string operation, string errorType, string? cacheType = null)
    {
        if (cacheType is not null)
        {
            For(cacheType).RecordError();
        }

        if (!_enabled)
        {
            return;
        }

        _errors.Add(1, new TagList
        {
            { "cache.operation", operation },
            { "error.type", errorType },
        });
    }

    /// <summary>Records the size of a value written; <paramref name="uncompressedBytes"/> feeds "bytes saved by compression".</summary>
    public void RecordPayload(string cacheType, long bytes, bool compressed, long uncompressedBytes)
    {
        For(cacheType).RecordPayload(bytes, uncompressedBytes);
        if (!_enabled)
        {
            return;
        }

        _payloadSize.Record(bytes, new TagList
        {
            { "cache.type", For(cacheType).Name },
            { "compressed", compressed ? "true" : "false" },
        });
    }

    public CacheMetricsSnapshot Snapshot()
    {
        long hits = 0, misses = 0, stale = 0, untimed = 0;
        var types = new List<CacheTypeSnapshot>(_types.Count);
        foreach (var counters in _types.Values)
        {
            var type = counters.Snapshot();
            hits += type.Hits;
            misses += type.Misses;
            stale += type.Stale;
            untimed += counters.UntimedL1Hits;
            types.Add(type);
        }

        types.Sort((a, b) => string.CompareOrdinal(a.CacheType, b.CacheType));
        var timed = Interlocked.Read(ref _operations);
        var operations = timed + untimed;
        var errors = Interlocked.Read(ref _operationErrors);
        var lookups = hits + misses + stale;

        // L1 hits on the fast path are counted but not timed (timing one would cost a fifth of the hit): the average
        // response time is over the timed operations, those that reached Redis or the source, or wrote or removed.
        return new CacheMetricsSnapshot(
            HitRate: lookups == 0 ? 0 : (double)hits / lookups,
            ErrorRate: operations == 0 ? 0 : (double)errors / operations,
            TotalOperations: operations,
            FailedOperations: errors,
            AverageResponseTime: timed == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _durationTicks) / timed),
            Types: types);
    }

    public void Dispose() => _meter.Dispose();

    internal static string OutcomeName(CacheOutcome outcome) => outcome switch
    {
        CacheOutcome.Hit => "hit",
        CacheOutcome.Miss => "miss",
        CacheOutcome.Stale => "stale",
        _ => "error",
    };

    /// <summary>Counts the operation into the snapshot; true when the instruments record too.</summary>
    private bool CountOperation(TimeSpan elapsed, bool failed)
    {
        Interlocked.Increment(ref _operations);
        Interlocked.Add(ref _durationTicks, elapsed.Ticks);
        if (failed)
        {
            Interlocked.Increment(ref _operationErrors);
        }

        return _enabled;
    }

    private void RecordDuration(string operation, string cacheTypeName, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new TagList
        {
            { "cache.operation", operation },
            { "cache.type", cacheTypeName },
        });

    private CacheTypeCounters For(string cacheType)
    {
        if (_types.TryGetValue(cacheType, out var counters))
        {
            return counters;
        }

        return _types.Count >= MaxCacheTypes
            ? _types.GetOrAdd("other", static name => new CacheTypeCounters(name))
            : _types.GetOrAdd(cacheType, static name => new CacheTypeCounters(name));
    }

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        if (!_enabled)
        {
            yield break;
        }

        foreach (var counters in _types.Values)
        {
            foreach (var level in Levels)
            {
                foreach (var outcome in Outcomes)
                {
                    var count = counters.Requests(level, outcome);
                    if (count > 0)
                    {
                        yield return new Measurement<long>(count, new TagList
                        {
                            { "cache.type", counters.Name },
                            { "cache.level", level == CacheLevel.L1 ? "l1" : "l2" },
                            { "cache.outcome", OutcomeName(outcome) },
                        });
                    }
                }
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveHitRatios()
    {
        foreach (var counters in _types.Values)
        {
            var snapshot = counters.Snapshot();
            var lookups = snapshot.Hits + snapshot.Misses + snapshot.Stale;
            if (lookups > 0)
            {
                yield return new Measurement<double>((double)snapshot.Hits / lookups, new KeyValuePair<string, object?>("cache.type", counters.Name));
            }
        }
    }

    internal sealed class CacheTypeCounters(string name)
    {
        /// <summary>Cells 0-7: level × outcome; cell 8: L1 hits of the fast path (counted as requests and operations, not timed).</summary>
        private const int UntimedL1HitCell = 8;

        private readonly StripedCounters _requests = new(UntimedL1HitCell + 1);
        private long _errors;
        private long _payloads;
        private long _payloadBytes;
        private long _uncompressedBytes;

        public string Name { get; } = name;

        public long UntimedL1Hits => _requests.Sum(UntimedL1HitCell);

        public void Record(CacheLevel level, CacheOutcome outcome)
        {
            _requests.Increment(Cell(level, outcome));
            if (outcome == CacheOutcome.Error)
            {
                Interlocked.Increment(ref _errors);
            }
        }

        /// <summary>The L1-hit fast path: one striped interlocked increment, no clock read.</summary>
        public void RecordUntimedL1Hit() => _requests.Increment(UntimedL1HitCell);

        public long Requests(CacheLevel level, CacheOutcome outcome) =>
            _requests.Sum(Cell(level, outcome)) + (level == CacheLevel.L1 && outcome == CacheOutcome.Hit ? UntimedL1Hits : 0);

        public void RecordError() => Interlocked.Increment(ref _errors);

        public void RecordPayload(long bytes, long uncompressedBytes)
        {
            Interlocked.Increment(ref _payloads);
            Interlocked.Add(ref _payloadBytes, bytes);
            Interlocked.Add(ref _uncompressedBytes, uncompressedBytes);
        }

        public CacheTypeSnapshot Snapshot()
        {
            var payloadBytes = Interlocked.Read(ref _payloadBytes);
            return new CacheTypeSnapshot(
                Name,
                Requests(CacheLevel.L1, CacheOutcome.Hit) + Requests(CacheLevel.L2, CacheOutcome.Hit),
                Requests(CacheLevel.L1, CacheOutcome.Miss) + Requests(CacheLevel.L2, CacheOutcome.Miss),
                Requests(CacheLevel.L1, CacheOutcome.Stale) + Requests(CacheLevel.L2, CacheOutcome.Stale),
                Interlocked.Read(ref _errors),
                Interlocked.Read(ref _payloads),
                payloadBytes,
                Math.Max(0, Interlocked.Read(ref _uncompressedBytes) - payloadBytes));
        }

        private static int Cell(CacheLevel level, CacheOutcome outcome) => ((int)level * 4) + (int)outcome;
    }
}

public sealed record CacheMetricsSnapshot(
    double HitRate,
    double ErrorRate,
    long TotalOperations,
    long FailedOperations,
    TimeSpan AverageResponseTime,
    IReadOnlyList<CacheTypeSnapshot> Types);

public sealed record CacheTypeSnapshot(
    string CacheType,
    long Hits,
    long Misses,
    long Stale,
    long Errors,
    long PayloadsWritten,
    long PayloadBytesWritten,
    long BytesSavedByCompression);
