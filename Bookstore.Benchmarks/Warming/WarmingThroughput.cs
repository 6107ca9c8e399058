using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text;
using Bookstore.Benchmarks.Serialization;
using Bookstore.Catalog.Contracts;
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
/// <see cref="ICacheService.SetManyAsync{T}"/> in the worker's chunks of 10,000, with the key and value the worker
/// writes, against the Redis given. Prints one line for bench/warming-throughput.sh.
/// </summary>
internal static class WarmingThroughput
{
    /// <summary>Books per SetManyAsync call, as <c>CacheWarmer</c> sends them.</summary>
    private const int WriteChunk = 10_000;

    /// <summary>
    /// Full passes after the first; the median of the last <see cref="MeasuredPasses"/> is the steady state. (With the
    /// .NET default of dynamic PGO, the loop ran at half speed for the first 100,000-150,000 entries while the JIT
    /// instrumented it; the worker, and so this process in bench/warming-throughput.sh, runs with PGO off.)
    /// </summary>
    private const int WarmPasses = 30;

    private const int MeasuredPasses = 15;

    /// <summary>
    /// Writes <paramref name="count"/> books and prints the write stage's throughput. The books are written as the worker
    /// writes them: each as the API's JSON for it (<see cref="EncodedJson"/>), cut out of the API's array. With
    /// <paramref name="apiUrl"/>, that array is fetched the way the worker fetches it (<c>GET /catalog/popular-books</c>),
    /// and the fetch is timed too; otherwise the books are read from goodbooks-10k's CSV and serialized to such an array
    /// first, and the same books are also written from <see cref="Book"/> objects (what a caller without the JSON pays).
    /// </summary>
    public static async Task<int> RunAsync(string connectionString, int count, string? apiUrl = null)
    {
        var fetchSeconds = 0.0;
        IReadOnlyList<Book>? books = null;
        IReadOnlyList<EncodedJsonElement> encoded;
        if (apiUrl is null)
        {
            books = GoodbooksCatalog.Load(count);
            encoded = EncodedJsonArray.SplitById(ApiJson(books));
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
            encoded = await FetchAsync(http, uri);
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
        var writes = encoded.Select(book => new CacheWrite<EncodedJson>(book.Id.ToString(CultureInfo.InvariantCulture), book.Json)).ToList();

        // The connection and the first JIT on a few books; then the first full pass (the worker's first run after a
        // start), then warm passes (its later runs), timed each; the median of the last ones is the steady state.
        var (coldSeconds, seconds, clientCpuSeconds) = await MeasureAsync(cache, writes);
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture,
            $"books={encoded.Count} chunk={WriteChunk} cold_pass_seconds={coldSeconds:F3} cold_items_per_sec={encoded.Count / coldSeconds:F0} seconds={seconds:F3} items_per_sec={encoded.Count / seconds:F0} client_cpu_us_per_item={clientCpuSeconds * 1e6 / encoded.Count:F1}");

        // Where the client's time goes: encoding alone (the FusionCache wrapper through CacheSerializer), no Redis,
        // on one thread (wall time of the last of three passes).
        var serializer = host.Services.GetRequiredService<CacheSerializer>();
        line.Append(CultureInfo.InvariantCulture, $" encode_us_per_item={EncodeSeconds(serializer, encoded.Select(e => e.Json).ToList()) * 1e6 / encoded.Count:F1}");
        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        if (books is not null)
        {
            var objects = books.Select(book => new CacheWrite<Book>(book.Id.ToString(CultureInfo.InvariantCulture), book)).ToList();
            var (objectCold, objectSeconds, objectCpu) = await MeasureAsync(cache, objects);
            line.Append(CultureInfo.InvariantCulture,
                $" from_objects_cold_items_per_sec={books.Count / objectCold:F0} from_objects_items_per_sec={books.Count / objectSeconds:F0} from_objects_client_cpu_us_per_item={objectCpu * 1e6 / books.Count:F1} from_objects_encode_us_per_item={EncodeSeconds(serializer, books) * 1e6 / books.Count:F1}");
        }

        if (books is not null && Environment.GetEnvironmentVariable("BENCH_PREBUILT") == "1")
        {
            // A separate run (bench/warming-throughput.sh), so its SETs stay out of the write stage's redis-server CPU.
            // From the library's ceiling towards the bulk writer, one cost added at a time.
            byte[] Encode(int index)
            {
                var now = DateTimeOffset.UtcNow.UtcTicks;
                return serializer.Serialize(new FusionCacheDistributedEntry<Book>(
                    books[index], now, now + TimeSpan.TicksPerHour, null, new FusionCacheEntryMetadata(false, now, null, null, 1, 1)));
            }

            var prebuilt = new StringBuilder();
            foreach (var (name, script, publish, encode) in new (string, bool, bool, Func<int, byte[]>?)[]
                     { ("pipelined", false, false, null), ("script", true, false, null), ("pipelined_publish", false, true, null), ("pipelined_publish_encode", false, true, Encode) })
            {
                var (passSeconds, cpuSeconds) = await PrebuiltSetsAsync(db, books.Count, script, publish, encode);
                prebuilt.Append(CultureInfo.InvariantCulture, $"prebuilt_{name}_items_per_sec={books.Count / passSeconds:F0} prebuilt_{name}_client_cpu_us_per_item={cpuSeconds * 1e6 / books.Count:F1} ");
            }

            Console.WriteLine(prebuilt.ToString().TrimEnd());
        }

        // The written entries' size, for redis-benchmark's -d (as the worker wrote them: the last measure above may not).
        await WriteAsync(cache, writes);
        long bytes = 0;
        var sample = encoded.Take(500).ToList();
        foreach (var book in sample)
        {
            bytes += await db.StringLengthAsync($"bookstore:v1:books:{book.Id}");
        }

        line.Append(CultureInfo.InvariantCulture, $" avg_value_bytes={bytes / sample.Count}");
        Console.WriteLine(line.ToString());
        if (apiUrl is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fetch_seconds={fetchSeconds:F3} end_to_end_seconds={fetchSeconds + seconds:F3} end_to_end_items_per_sec={encoded.Count / (fetchSeconds + seconds):F0}"));
        }

        await host.StopAsync();
        return 0;
    }

    /// <summary>
    /// The array the API's <c>GET /catalog/popular-books</c> sends for <paramref name="books"/>: ASP.NET Core's JSON
    /// options (web defaults, nulls written, non-ASCII unescaped).
    /// </summary>
    private static byte[] ApiJson(IReadOnlyList<Book> books)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(books.ToArray(), options);
    }

    /// <summary>A 500-entry warm-up, one cold pass, then <see cref="WarmPasses"/> timed passes: (cold, steady median, client CPU per pass).</summary>
    private static async Task<(double Cold, double Steady, double CpuSeconds)> MeasureAsync<T>(ICacheService cache, IReadOnlyList<CacheWrite<T>> writes)
    {
        await WriteAsync(cache, writes.Take(500).ToList());
        var coldSeconds = await TimedPassAsync(cache, writes);
        var passes = new List<double>();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        for (var pass = 0; pass < WarmPasses; pass++)
        {
            if (pass == WarmPasses - MeasuredPasses)
            {
                cpuBefore = Environment.CpuUsage.TotalTime;
            }

            passes.Add(await TimedPassAsync(cache, writes));
        }

        if (Environment.GetEnvironmentVariable("BENCH_PASSES") == "1")
        {
            Console.Error.WriteLine(string.Join(' ', passes.Select(p => (writes.Count / p).ToString("F0", CultureInfo.InvariantCulture))));
        }

        var cpuSeconds = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds / MeasuredPasses;
        return (coldSeconds, passes.TakeLast(MeasuredPasses).Order().ElementAt(MeasuredPasses / 2), cpuSeconds);
    }

    /// <summary>Wall time of the last of three passes encoding every value as the bulk writer does (one thread, no Redis).</summary>
    private static double EncodeSeconds<T>(CacheSerializer serializer, IReadOnlyList<T> values)
    {
        var seconds = 0.0;
        for (var pass = 0; pass < 3; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var value in values)
            {
                var now = DateTimeOffset.UtcNow.UtcTicks;
                _ = serializer.Serialize(new FusionCacheDistributedEntry<T>(
                    value, now, now + TimeSpan.TicksPerHour, null, new FusionCacheEntryMetadata(false, now, null, null, 1, 1)));
            }

            seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        return seconds;
    }

    private static async Task<double> TimedPassAsync<T>(ICacheService cache, IReadOnlyList<CacheWrite<T>> writes)
    {
        var started = Stopwatch.GetTimestamp();
        var written = await WriteAsync(cache, writes);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return written == writes.Count ? seconds : throw new InvalidOperationException($"Only {written} of {writes.Count} books were written.");
    }

    /// <summary>What the worker's <c>CatalogClient.GetMostPopularBooksAsync</c> does.</summary>
    private static async Task<IReadOnlyList<EncodedJsonElement>> FetchAsync(HttpClient http, Uri uri) =>
        EncodedJsonArray.SplitById(await http.GetByteArrayAsync(uri));

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

    /// <summary>What the worker's <c>CacheWarmer</c> does: one SetManyAsync per chunk.</summary>
    private static async Task<int> WriteAsync<T>(ICacheService cache, IReadOnlyList<CacheWrite<T>> writes)
    {
        var written = 0;
        foreach (var chunk in writes.Chunk(WriteChunk))
        {
            written += await cache.SetManyAsync(CacheType.Books, chunk);
        }

        return written;
    }
}
