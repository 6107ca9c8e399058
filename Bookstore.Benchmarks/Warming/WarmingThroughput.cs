using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Bookstore.Benchmarks.Serialization;
using Bookstore.Caching.Catalog;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Bookstore.Caching.Serialization;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion.Internals;
using ZiggyCreatures.Caching.Fusion.Internals.Distributed;

namespace Bookstore.Benchmarks.Warming;

/// <summary>
/// The write stage of a warming run, measured alone: goodbooks books written through
/// <see cref="ICacheService.SetManyAsync{T}"/> in the worker's chunks of 2,048, with the key and value the worker
/// writes, against the Redis given. Prints one line for bench/warming-throughput.sh.
/// </summary>
internal static class WarmingThroughput
{
    /// <summary>Books per SetManyAsync call, as <c>CacheWarmer</c> sends them.</summary>
    private const int WriteChunk = 4096;

    /// <summary>
    /// Full passes after the first. The tiered JIT (with PGO) optimizes the encoding path only after some 300,000 calls
    /// here, a few seconds of writing; the median of the last <see cref="MeasuredPasses"/> is the steady state.
    /// </summary>
    private const int WarmPasses = 30;

    private const int MeasuredPasses = 5;

    /// <summary>
    /// Writes <paramref name="count"/> books and prints the write stage's throughput. With <paramref name="apiUrl"/>,
    /// the books are first fetched the way the worker fetches them (<c>GET /catalog/popular-books</c>, JSON into
    /// <see cref="Book"/>s), and the fetch is timed too; otherwise they are read from goodbooks-10k's CSV.
    /// </summary>
    public static async Task<int> RunAsync(string connectionString, int count, string? apiUrl = null)
    {
        var fetchSeconds = 0.0;
        IReadOnlyList<Book> books;
        if (apiUrl is null)
        {
            books = GoodbooksCatalog.Load(count);
        }
        else
        {
            using var http = new HttpClient { BaseAddress = new Uri(apiUrl) };
            if (Environment.GetEnvironmentVariable("BOOKSTORE_ADMIN_API_KEY") is { Length: > 0 } key)
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", key);
            }

            var uri = new Uri("/catalog/popular-books?limit=" + count.ToString(CultureInfo.InvariantCulture), UriKind.Relative);
            await FetchAsync(http, uri); // JIT, connection
            var fetchStarted = Stopwatch.GetTimestamp();
            books = await FetchAsync(http, uri);
            fetchSeconds = Stopwatch.GetElapsedTime(fetchStarted).TotalSeconds;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "Bookstore.Benchmarks" });
        builder.Configuration.AddInMemoryCollection(
        [
            new("ConnectionStrings:cache", connectionString),
            new("Bookstore:Redis:EnableMonitoring", "false"),
        ]);
        builder.AddBookstoreCache();
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICacheService>();

        // The connection and the first JIT on a few books; then the first full pass (the worker's first run after a
        // start: it runs before the tiered JIT has optimized the hot methods), then warm passes (its later runs),
        // timed each; the median of the last five is the steady state the ratio uses.
        await WriteAsync(cache, books.Take(500).ToList());
        var coldSeconds = await TimedPassAsync(cache, books);
        var passes = new List<double>();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var warmPasses = int.Parse(Environment.GetEnvironmentVariable("BENCH_WARM_PASSES") ?? WarmPasses.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        for (var pass = 0; pass < warmPasses; pass++)
        {
            if (pass == warmPasses - MeasuredPasses)
            {
                cpuBefore = Environment.CpuUsage.TotalTime;
            }

            passes.Add(await TimedPassAsync(cache, books));
        }

        if (Environment.GetEnvironmentVariable("BENCH_PASSES") == "1")
        {
            Console.Error.WriteLine(string.Join(' ', passes.Select(p => (count / p).ToString("F0", CultureInfo.InvariantCulture))));
        }

        var clientCpuSeconds = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds / MeasuredPasses;
        var seconds = passes.TakeLast(MeasuredPasses).Order().ElementAt(MeasuredPasses / 2);

        // Where the client's time goes: encoding alone (the FusionCache wrapper through CacheSerializer), no Redis,
        // on one thread (wall time of the last of three passes).
        var serializer = host.Services.GetRequiredService<CacheSerializer>();
        var encodeStarted = Stopwatch.GetTimestamp();
        for (var pass = 0; pass < 3; pass++)
        {
            encodeStarted = Stopwatch.GetTimestamp();
            foreach (var book in books)
            {
                var now = DateTimeOffset.UtcNow.UtcTicks;
                _ = serializer.Serialize(new FusionCacheDistributedEntry<Book>(
                    book, now, now + TimeSpan.TicksPerHour, null, new FusionCacheEntryMetadata(false, now, null, null, 1, 1)));
            }
        }

        var encodeCpuSeconds = Stopwatch.GetElapsedTime(encodeStarted).TotalSeconds;

        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        if (Environment.GetEnvironmentVariable("BENCH_PREBUILT") == "1")
        {
            // A separate run (bench/warming-throughput.sh), so its SETs stay out of the write stage's redis-server CPU.
            // From the library's ceiling towards the bulk writer, one cost added at a time.
            byte[] Encode(int index)
            {
                var now = DateTimeOffset.UtcNow.UtcTicks;
                return serializer.Serialize(new FusionCacheDistributedEntry<Book>(
                    books[index], now, now + TimeSpan.TicksPerHour, null, new FusionCacheEntryMetadata(false, now, null, null, 1, 1)));
            }

            var line = new StringBuilder();
            foreach (var (name, script, publish, encode) in new (string, bool, bool, Func<int, byte[]>?)[]
                     { ("pipelined", false, false, null), ("script", true, false, null), ("pipelined_publish", false, true, null), ("pipelined_publish_encode", false, true, Encode) })
            {
                var (passSeconds, cpuSeconds) = await PrebuiltSetsAsync(db, books.Count, script, publish, encode);
                line.Append(CultureInfo.InvariantCulture, $"prebuilt_{name}_items_per_sec={books.Count / passSeconds:F0} prebuilt_{name}_client_cpu_us_per_item={cpuSeconds * 1e6 / books.Count:F1} ");
            }

            Console.WriteLine(line.ToString().TrimEnd());
        }

        long bytes = 0;
        var sample = books.Take(500).ToList();
        foreach (var book in sample)
        {
            bytes += await db.StringLengthAsync($"bookstore:v1:books:{book.Id}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"books={books.Count} chunk={WriteChunk} cold_pass_seconds={coldSeconds:F3} cold_items_per_sec={books.Count / coldSeconds:F0} seconds={seconds:F3} items_per_sec={books.Count / seconds:F0} client_cpu_us_per_item={clientCpuSeconds * 1e6 / books.Count:F1} encode_us_per_item={encodeCpuSeconds * 1e6 / books.Count:F1} avg_value_bytes={bytes / sample.Count}"));
        if (apiUrl is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fetch_seconds={fetchSeconds:F3} end_to_end_seconds={fetchSeconds + seconds:F3} end_to_end_items_per_sec={books.Count / (fetchSeconds + seconds):F0}"));
        }
        await host.StopAsync();
        return 0;
    }

    private static async Task<double> TimedPassAsync(ICacheService cache, IReadOnlyList<Book> books)
    {
        var started = Stopwatch.GetTimestamp();
        var written = await WriteAsync(cache, books);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return written == books.Count ? seconds : throw new InvalidOperationException($"Only {written} of {books.Count} books were written.");
    }

    /// <summary>What the worker's <c>CatalogClient.GetMostPopularBooksAsync</c> does.</summary>
    private static async Task<IReadOnlyList<Book>> FetchAsync(HttpClient http, Uri uri) =>
        await http.GetFromJsonAsync<List<Book>>(uri) ?? throw new InvalidOperationException("The API returned no books.");

    /// <summary>
    /// One batch as one script call: <c>SET KEYS[i] ARGV[i+1] PX ARGV[1]</c>, the bulk writer's SETs. Tried as the bulk
    /// writer's path on a single Redis and not kept (docs/performance.md, "Warming throughput"): it cut client CPU but
    /// tripled redis-server's CPU per entry, and its ceiling below is lower than pipelined SETs'.
    /// </summary>
    private const string SetAllScript = """
        local ttl = ARGV[1]
        for i = 1, #KEYS do
          redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ttl)
        end
        return #KEYS
        """;

    /// <summary>
    /// The client's ceiling: as many 386-byte SETs as books, sent as the bulk writer sends them (256 per batch, 4 batches in
    /// flight) either as pipelined SETs or as one script call per batch, from keys and one value built beforehand; then
    /// with the bulk writer's notification per batch (<paramref name="publish"/>) and with each value encoded in the loop
    /// (<paramref name="encode"/>). Median wall time and mean client CPU of the last five of twenty passes.
    /// </summary>
    private static async Task<(double Seconds, double CpuSeconds)> PrebuiltSetsAsync(IDatabase db, int count, bool script, bool publish, Func<int, byte[]>? encode)
    {
        const int batch = RedisBulkWriter.BatchSize;
        var value = (RedisValue)new byte[386];
        var keys = Enumerable.Range(0, count / batch).Select(b => Enumerable.Range(b * batch, batch).Select(i => (RedisKey)$"bookstore:v1:prebuilt:{i}").ToArray()).ToArray();
        var arguments = Enumerable.Repeat(value, batch + 1).ToArray();
        arguments[0] = (long)TimeSpan.FromHours(6).TotalMilliseconds;
        var passes = new List<double>();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        for (var pass = 0; pass < 20; pass++)
        {
            if (pass == 15)
            {
                cpuBefore = Environment.CpuUsage.TotalTime;
            }

            var started = Stopwatch.GetTimestamp();
            var inFlight = new Queue<Task>();
            for (var b = 0; b < keys.Length; b++)
            {
                var batchKeys = keys[b];
                var first = b * batch;
                var redisBatch = db.CreateBatch();
                Task sent = script
                    ? redisBatch.ScriptEvaluateAsync(SetAllScript, batchKeys, arguments)
                    : Task.WhenAll(batchKeys.Select((k, i) => redisBatch.StringSetAsync(k, encode is null ? value : encode(first + i), TimeSpan.FromHours(6))).ToArray());
                if (publish)
                {
                    _ = redisBatch.PublishAsync(RedisBulkWriter.BulkSetChannel, "x\n" + string.Join('\n', batchKeys), CommandFlags.FireAndForget);
                }

                redisBatch.Execute();
                inFlight.Enqueue(sent);
                if (inFlight.Count >= 4)
                {
                    await inFlight.Dequeue();
                }
            }

            await Task.WhenAll(inFlight);
            passes.Add(Stopwatch.GetElapsedTime(started).TotalSeconds * count / (keys.Length * batch));
        }

        var cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds / 5;
        return (passes.TakeLast(5).Order().ElementAt(2), cpu * count / (keys.Length * batch));
    }

    private static async Task<int> WriteAsync(ICacheService cache, IReadOnlyList<Book> books)
    {
        var written = 0;
        foreach (var chunk in books.Chunk(WriteChunk))
        {
            written += await cache.SetManyAsync(
                CacheType.Books,
                [.. chunk.Select(book => new CacheWrite<Book>(book.Id.ToString(CultureInfo.InvariantCulture), book))]);
        }

        return written;
    }
}
