using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Bookstore.Benchmarks.Serialization;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bookstore.Benchmarks.Warming;

/// <summary>
/// The warm run's write stage alone, for a profiler: the goodbooks books as the API's JSON, written with
/// <see cref="ICacheService.SetManyAsync{T}"/> as the worker writes them, <c>passes</c> times; prints each pass's seconds.
/// </summary>
internal static class BulkWriteLoop
{
    public static async Task<int> RunAsync(string connectionString, int count, int passes)
    {
        var books = GoodbooksCatalog.Load(count);
        var json = JsonSerializer.SerializeToUtf8Bytes(books, new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        });
        var writes = EncodedJsonArray.SplitById(json)
            .Select(book => new CacheWrite<EncodedJson>(book.Id.ToString(CultureInfo.InvariantCulture), book.Json)).ToList();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "Bookstore.Benchmarks" });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:cache", connectionString), new("Bookstore:Redis:EnableMonitoring", "false")]);
        builder.AddBookstoreCache();
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICacheService>();
        for (var pass = 0; pass < passes; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            var written = await cache.SetManyAsync(CacheType.Books, writes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pass={pass} written={written} seconds={Stopwatch.GetElapsedTime(started).TotalSeconds:F4}"));
        }

        await host.StopAsync();
        return 0;
    }
}
