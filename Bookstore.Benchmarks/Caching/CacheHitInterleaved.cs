using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Bookstore.Benchmarks.Caching;

/// <summary>
/// The <see cref="CacheHitBenchmarks"/> methods measured in one process in interleaved rounds: every round runs each
/// method for the same number of calls, in a shuffled order, so a change in machine load (other builds on the two
/// cores) falls on all methods of that round alike. Each ratio is taken within a round and the table gives the median
/// and the interquartile range over the rounds. BenchmarkDotNet runs one method after the other, so on a shared machine
/// a few percent (the metrics target is 3 %) disappear in the load drift between methods; this run is the A/B for that.
/// Time is the measuring thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), so the periods the thread waits for a core
/// that another process holds are not counted; a hit completes synchronously, on that one thread.
/// </summary>
internal static class CacheHitInterleaved
{
    private const int WarmupRounds = 5;

    public static async Task<int> RunAsync(int rounds, int callsPerRound)
    {
        var benchmarks = new CacheHitBenchmarks();
        await benchmarks.Setup();
        var methods = new (string Name, Func<CacheHitBenchmarks, int, ValueTask> Loop)[]
        {
            ("RawFusionCache (baseline)", RawFusionCache),
            ("RawFusionCacheKeyReady", RawFusionCacheKeyReady),
            ("FusionCacheAsConfigured", FusionCacheAsConfigured),
            ("CacheService", CacheService),
            ("CacheServiceMetricsOff", CacheServiceMetricsOff),
            ("HybridCache", HybridCache),
            ("CacheServiceTaggedEntry", CacheServiceTaggedEntry),
        };
        var nanos = methods.Select(_ => new List<double>()).ToArray();
        var bytes = new double[methods.Length];
        var order = Enumerable.Range(0, methods.Length).ToArray();
        for (var round = 0; round < WarmupRounds + rounds; round++)
        {
            Random.Shared.Shuffle(order);
            foreach (var m in order)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var started = ThreadCpuNanoseconds();
                await methods[m].Loop(benchmarks, callsPerRound);
                var elapsed = ThreadCpuNanoseconds() - started;
                if (round >= WarmupRounds)
                {
                    nanos[m].Add((double)elapsed / callsPerRound);
                    bytes[m] = (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / callsPerRound;
                }
            }
        }

        benchmarks.Cleanup();
        Console.WriteLine($"{rounds} rounds of {callsPerRound:N0} calls per method, order shuffled per round, thread CPU time; ratios per round, then median [p25-p75].");
        Console.WriteLine();
        Console.WriteLine("| Method | Median ns/call | Ratio to baseline | Allocated B/call |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var m = 0; m < methods.Length; m++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {methods[m].Name} | {Median(nanos[m]):F1} | {RatioSummary(nanos[m], nanos[0])} | {bytes[m]:F0} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CacheService / HybridCache: {RatioSummary(nanos[3], nanos[5])}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Metrics on / metrics off (CacheService / CacheServiceMetricsOff): {RatioSummary(nanos[3], nanos[4])}"));
        return 0;
    }

    /// <summary>CPU time of the calling thread (Linux), the only clock here that a busy neighbour does not stretch.</summary>
    private static long ThreadCpuNanoseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (long)Stopwatch.GetElapsedTime(0).TotalNanoseconds;
        }

        const int ClockThreadCpuTimeId = 3;
        return ClockGetTime(ClockThreadCpuTimeId, out var now) == 0
            ? (now.Seconds * 1_000_000_000L) + now.Nanoseconds
            : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static string RatioSummary(List<double> a, List<double> b)
    {
        var ratios = a.Zip(b, (x, y) => x / y).Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{Quantile(ratios, 0.5):F3} [{Quantile(ratios, 0.25):F3}-{Quantile(ratios, 0.75):F3}]");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static double Median(List<double> values) => Quantile([.. values.Order()], 0.5);

    private static double Quantile(List<double> sorted, double q)
    {
        var position = (sorted.Count - 1) * q;
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }

    // One loop per method, so each call site is direct; an L1 hit completes synchronously and is never awaited.
    private static async ValueTask RawFusionCache(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.RawFusionCache();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask RawFusionCacheKeyReady(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.RawFusionCacheKeyReady();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask FusionCacheAsConfigured(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.FusionCacheAsConfigured();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask CacheService(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.CacheService();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask CacheServiceMetricsOff(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.CacheServiceMetricsOff();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask CacheServiceTaggedEntry(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.CacheServiceTaggedEntry();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }

    private static async ValueTask HybridCache(CacheHitBenchmarks b, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            var hit = b.HybridCache();
            if (!hit.IsCompletedSuccessfully)
            {
                await hit;
            }
        }
    }
}
