using System.Globalization;
using Bookstore.Api.Catalog;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Typed;

namespace Microsoft.AspNetCore.Builder;

public static class CatalogCommandLine
{
    /// <summary>
    /// The arguments the host's configuration may see: without <c>import &lt;path&gt;</c>, because the command-line
    /// configuration provider would read an absolute path (<c>/data/books.csv</c>) as a <c>/key value</c> switch.
    /// </summary>
    public static string[] HostArguments(string[] args) =>
        args is ["import", .. var rest] ? [.. rest.Where(a => a.StartsWith("--", StringComparison.Ordinal))] : args;

    /// <summary>
    /// <c>import &lt;path&gt;</c>: imports a goodreads-style CSV into the configured store with the same importer as
    /// <c>POST /admin/import</c>, then exits. Returns the exit code, or <see langword="null"/> when the arguments are not a catalog command.
    /// Without a configured Redis the import still runs and says in one line that no cache was flushed.
    /// </summary>
    public static async Task<int?> RunCatalogCommandAsync(this WebApplication app, string[] args)
    {
        if (args is not ["import", .. var rest])
        {
            return null;
        }

        // Configuration switches may follow in their --key=value form; the one other argument is the path.
        if (rest.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray() is not [var path])
        {
            await Console.Error.WriteLineAsync("usage: Bookstore.Api import <path-to-books.csv> [--Key=Value ...]");
            return 64;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        var services = app.Services;
        await services.GetRequiredService<CatalogInitializer>().InitializeAsync(stop.Token);

        ImportReport report;
        try
        {
            report = await services.GetRequiredService<GoodreadsCsvImporter>().ImportFileAsync(path, stop.Token);
        }
        catch (FileNotFoundException ex)
        {
            // dotnet run --project starts the API in its project folder, so a relative path starts there.
            await Console.Error.WriteLineAsync($"{ex.Message} (looked for '{Path.GetFullPath(path)}': with dotnet run --project give an absolute path)");
            return 66;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Rows} rows: {report.Added} added, {report.Updated} updated, {report.Unchanged} unchanged, {report.Rejected} rejected in {report.ElapsedMs:F0} ms"));
        foreach (var error in report.Errors.Take(50))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  line {error.Line}: {error.Message}"));
        }

        if (report.Added + report.Updated > 0)
        {
            if (services.GetRequiredService<RedisClientSettings>().IsConfigured)
            {
                await FlushCatalogCacheAsync(services.GetRequiredService<CacheService>(), stop.Token);
            }
            else
            {
                Console.WriteLine("Cache not flushed: no Redis is configured (ConnectionStrings:cache or REDIS_HOST).");
            }
        }

        return report.Rejected == 0 ? 0 : 2;
    }

    /// <summary>
    /// An import can change any book and any page, so it drops every cached book and list page (a Clear of both types), on every replica.
    /// Redis may be down when the command runs: then the entries expire with their TTL, and the command says so.
    /// </summary>
    internal static async Task FlushCatalogCacheAsync(ICacheService cache, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await cache.ClearTypeAsync(CacheType.Books, timeout.Token);
            await cache.ClearTypeAsync(CacheType.BookLists, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The cache could not be reached in 10 s: cached books and pages expire with their TTL.");
        }
    }
}
