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
/// The cache writes of a warming run, measured alone: goodbooks books written through <see cref="ICacheService"/>
/// with the warmer's bounded concurrency, against the Redis given. Prints one line for bench/warming-throughput.sh.
/// </summary>
internal static class WarmingThroughput
{
    public static async Task<int> RunAsync(string connectionString, int count, int concurrency)
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
        await WriteAsync(cache, books.Take(200).ToList(), concurrency);

        var started = Stopwatch.GetTimestamp();
        await WriteAsync(cache, books, concurrency);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        long bytes = 0;
        var sample = books.Take(500).ToList();
        foreach (var book in sample)
        {
            bytes += await db.HashStringLengthAsync($"bookstore:v1:books:{book.Id}", "data");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"books={books.Count} concurrency={concurrency} seconds={seconds:F3} items_per_sec={books.Count / seconds:F0} avg_value_bytes={bytes / sample.Count}"));
        await host.StopAsync();
        return 0;
    }

    private static Task WriteAsync(ICacheService cache, IReadOnlyList<Book> books, int concurrency) =>
        Parallel.ForEachAsync(books, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (book, ct) =>
            await cache.SetAsync(CacheType.Books, book, book.Id.ToString(CultureInfo.InvariantCulture), [CacheTags.Book(book.Id)], ct));
}
