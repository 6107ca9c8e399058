using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Bookstore.Benchmarks.ReadPath;

/// <summary>
/// <c>redis-get</c>: <see cref="IRedisService.GetAsync{T}"/> from many concurrent callers on the service's own wiring
/// (<c>AddBookstoreRedis</c>: Aspire's client, one multiplexer, the serializer, metrics), against one key holding a
/// value of the given size. Prints <c>gets_per_sec=… timeouts=… failures=… p50_us=… p99_us=…</c>; the script sets it
/// beside <c>redis-benchmark -c {callers} -P 1 -t get</c> at the same value size.
/// </summary>
internal static class RedisServiceLoad
{
    private const string Key = "bench:read-path:value";

    public static async Task<int> RunAsync(string connectionString, int callers, double seconds, int valueBytes)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = connectionString,
            ["Bookstore:Redis:EnableMonitoring"] = "false",
        });
        builder.AddBookstoreRedis("cache");
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var redis = host.Services.GetRequiredService<IRedisService>();
        using var errors = new RedisErrorCounter();

        // A text value stored as RedisService stores it (envelope + body), so reads decode what a service would.
        var value = new string('x', valueBytes);
        if (!await redis.SetAsync(Key, value, TimeSpan.FromHours(1)).ConfigureAwait(false))
        {
            await Console.Error.WriteLineAsync("redis-get: the value could not be written").ConfigureAwait(false);
            return 1;
        }

        // The size redis-benchmark is given (-d): the value as stored, envelope included. Read with the client, not through
        // RedisService, whose interface has no STRLEN.
        var storedBytes = await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .StringLengthAsync(CacheKeyBuilder.Prefix + Key).ConfigureAwait(false);

        // Warm-up: JIT, connection, pools.
        await LoopAsync(redis, callers, TimeSpan.FromSeconds(Math.Min(2, seconds / 4)), valueBytes, recordLatency: false).ConfigureAwait(false);
        var timeoutsBefore = errors.Timeouts;
        var run = await LoopAsync(redis, callers, TimeSpan.FromSeconds(seconds), valueBytes, recordLatency: true).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stored_bytes={storedBytes} gets_per_sec={run.PerSecond:F0} gets={run.Count} timeouts={errors.Timeouts - timeoutsBefore} failures={run.Failures} p50_us={run.Percentile(0.50):F0} p99_us={run.Percentile(0.99):F0}"));
        await host.StopAsync().ConfigureAwait(false);
        return run.Failures == 0 ? 0 : 2;
    }

    private static async Task<LoadResult> LoopAsync(IRedisService redis, int callers, TimeSpan duration, int valueBytes, bool recordLatency)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            var result = new CallerResult(recordLatency ? new List<long>(1 << 16) : null);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t0 = Stopwatch.GetTimestamp();
                var read = await redis.GetAsync<string>(Key).ConfigureAwait(false);
                var t1 = Stopwatch.GetTimestamp();
                result.Latencies?.Add(t1 - t0);
                result.Count++;
                if (!read.Found || read.Value!.Length != valueBytes)
                {
                    // RedisService never throws for Redis: a failure or a timeout comes back as a miss (and is counted in its metrics).
                    result.Failures++;
                }
            }

            return result;
        })).ToArray();
        var results = await Task.WhenAll(workers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new LoadResult(results, elapsed);
    }

    /// <summary>Counts RedisService's timeouts as its metrics report them (<c>bookstore.cache.errors</c>, <c>error.type=timeout</c>).</summary>
    private sealed class RedisErrorCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _timeouts;

        public RedisErrorCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Name: "bookstore.cache.errors" } && instrument.Meter.Name == Bookstore.Caching.Metrics.CacheMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "error.type", Value: "timeout" })
                    {
                        Interlocked.Add(ref _timeouts, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Timeouts => Interlocked.Read(ref _timeouts);

        public void Dispose() => _listener.Dispose();
    }

    private sealed class CallerResult(List<long>? latencies)
    {
        public List<long>? Latencies { get; } = latencies;

        public long Count { get; set; }

        public long Failures { get; set; }
    }

    private sealed class LoadResult(CallerResult[] callers, TimeSpan elapsed)
    {
        private readonly long[] _sorted = [.. callers.SelectMany(c => c.Latencies ?? []).Order()];

        public long Count { get; } = callers.Sum(c => c.Count);

        public long Failures { get; } = callers.Sum(c => c.Failures);

        public double PerSecond => Count / elapsed.TotalSeconds;

        public double Percentile(double p) =>
            _sorted.Length == 0 ? 0 : _sorted[Math.Min(_sorted.Length - 1, (int)(p * _sorted.Length))] * 1e6 / Stopwatch.Frequency;
    }
}
