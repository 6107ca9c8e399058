using System.Diagnostics;
using System.Globalization;
using Bookstore.Api.Catalog;
using Bookstore.Catalog.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bookstore.Benchmarks.Warming;

/// <summary>
/// The API's bulk read for the warmer (<see cref="ICatalogStore.GetMostPopularBooksAsync"/>, EF Core, as the API
/// registers it) against a plain <see cref="SqliteDataReader"/> of the same rows into the same <see cref="Book"/>s, in
/// this one process on the same database file, in alternating rounds. Prints one line for bench/warm-run.sh.
/// </summary>
internal static class BulkReadComparison
{
    private const string BooksSql = """
        SELECT Id, Title, AverageRating, RatingsCount, Isbn13, OriginalPublicationYear, LanguageCode, ImageUrl, Description
        FROM Books ORDER BY RatingsCount DESC, Id LIMIT $limit
        """;

    private const string AuthorsSql = """
        SELECT ba.BookId, a.Name FROM BookAuthors ba JOIN Authors a ON a.Id = ba.AuthorId
        WHERE ba.BookId IN (SELECT Id FROM Books ORDER BY RatingsCount DESC, Id LIMIT $limit)
        ORDER BY ba.BookId, ba.Position
        """;

    public static async Task<int> RunAsync(string catalogConnectionString, int count, int rounds)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "Bookstore.Benchmarks" });
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:catalog", catalogConnectionString)]);
        builder.AddCatalog();
        using var host = builder.Build();
        var store = host.Services.GetRequiredService<ICatalogStore>();

        // Same books, same order, same authors: otherwise the comparison means nothing.
        var viaStore = await store.GetMostPopularBooksAsync(count, CancellationToken.None);
        var viaReader = await ReadAsync(catalogConnectionString, count);
        if (!viaStore.Select(Describe).SequenceEqual(viaReader.Select(Describe)))
        {
            await Console.Error.WriteLineAsync("The store and the plain reader returned different books.");
            return 1;
        }

        var storeSeconds = new List<double>();
        var readerSeconds = new List<double>();
        for (var round = 0; round < rounds + 3; round++)
        {
            var started = Stopwatch.GetTimestamp();
            _ = await store.GetMostPopularBooksAsync(count, CancellationToken.None);
            var store1 = Stopwatch.GetElapsedTime(started).TotalSeconds;
            started = Stopwatch.GetTimestamp();
            _ = await ReadAsync(catalogConnectionString, count);
            var reader1 = Stopwatch.GetElapsedTime(started).TotalSeconds;

            // The first rounds warm the JIT and SQLite's page cache for both.
            if (round >= 3)
            {
                storeSeconds.Add(store1);
                readerSeconds.Add(reader1);
            }
        }

        var (ef, raw) = (Median(storeSeconds), Median(readerSeconds));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"books={viaStore.Count} rounds={rounds} store_seconds={ef:F4} reader_seconds={raw:F4} ratio={ef / raw:F2}"));
        return 0;
    }

    /// <summary>The plain reader: the two queries EF's split query sends, read by ordinal into <see cref="Book"/>s.</summary>
    private static async Task<List<Book>> ReadAsync(string connectionString, int count)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        var authors = new Dictionary<int, List<string>>(count);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = AuthorsSql;
            command.Parameters.AddWithValue("$limit", count);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var bookId = reader.GetInt32(0);
                if (!authors.TryGetValue(bookId, out var names))
                {
                    authors[bookId] = names = [];
                }

                names.Add(reader.GetString(1));
            }
        }

        var books = new List<Book>(count);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = BooksSql;
            command.Parameters.AddWithValue("$limit", count);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var id = reader.GetInt32(0);
                books.Add(new Book(
                    id,
                    reader.GetString(1),
                    authors.TryGetValue(id, out var names) ? names : [],
                    reader.GetDouble(2),
                    reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
        }

        return books;
    }

    private static string Describe(Book book) => string.Create(CultureInfo.InvariantCulture,
        $"{book.Id}|{book.Title}|{string.Join(';', book.Authors)}|{book.AverageRating}|{book.RatingsCount}|{book.Isbn13}|{book.OriginalPublicationYear}|{book.LanguageCode}|{book.ImageUrl}|{book.Description}");

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
