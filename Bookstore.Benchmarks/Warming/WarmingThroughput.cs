using System.Diagnostics;
using System.Globalization;
using Bookstore.Benchmarks.Serialization;
using Bookstore.Caching.Catalog;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Bookstore.Benchmarks.Warming;

/// <summary>
/// The write stage of a warming run, measured alone: goodbooks books written through
/// <see cref="ICacheService.SetManyAsync{T}"/> in the worker's chunks of 2,048, with the key, value and tag the worker
/// writes, against the Redis given. Prints one line for bench/warming-throughput.sh.
/// </summary>
internal static class WarmingThroughput
{
    /// <summary>Books per SetManyAsync call, as <c>CacheWarmer</c> sends them.</summary>
    private const int WriteChunk = 2048;

    public static async Task<int> RunAsync(string connectionString, int count)
    {
        var books = GoodbooksCatalog.Load(count);
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

        // Warm up the JIT, the serializer and the connection on a few books first.
        await WriteAsync(cache, books.Take(500).ToList());

        var started = Stopwatch.GetTimestamp();
        var written = await WriteAsync(cache, books);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (written != books.Count)
        {
            throw new InvalidOperationException($"Only {written} of {books.Count} books were written.");
        }

        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        long bytes = 0;
        var sample = books.Take(500).ToList();
        foreach (var book in sample)
        {
            bytes += await db.StringLengthAsync($"bookstore:v1:books:{book.Id}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"books={books.Count} chunk={WriteChunk} seconds={seconds:F3} items_per_sec={books.Count / seconds:F0} avg_value_bytes={bytes / sample.Count}"));
        await host.StopAsync();
        return 0;
    }

    private static async Task<int> WriteAsync(ICacheService cache, IReadOnlyList<Book> books)
    {
        var written = 0;
        foreach (var chunk in books.Chunk(WriteChunk))
        {
            written += await cache.SetManyAsync(
                CacheType.Books,
                [.. chunk.Select(book => new CacheWrite<Book>(book.Id.ToString(CultureInfo.InvariantCulture), book, [CacheTags.Book(book.Id)]))]);
        }

        return written;
    }
}
