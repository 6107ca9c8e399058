using System.Globalization;
using System.Text;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>
/// The README's import command, run as the README gives it (<c>dotnet run --project Bookstore.Api -- import ...</c>)
/// with no Redis configured, on a goodbooks-shaped file the test writes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CatalogImportCommandTests
{
    private const int Rows = 300;

    [Fact(Timeout = 180_000)]
    public async Task TheReadmeImportCommandImportsWithoutRedisAndExitsZeroWithASummaryAndNoSqlLines()
    {
        var ct = TestContext.Current.CancellationToken;
        using var data = new TemporaryDirectory("bookstore-import-command-");
        var csv = Path.Combine(data.Path, "books.csv");
        await File.WriteAllTextAsync(csv, GoodbooksShapedCsv(Rows), ct);
        var database = Path.Combine(data.Path, "catalog.db");

        await using var import = ChildProcess.StartDotnet(
            ["run", "--no-build", "-c", ChildProcess.BuildConfiguration, "--project", "Bookstore.Api", "--", "import", csv, $"--ConnectionStrings:catalog=Data Source={database}"],
            RedisServer.RepositoryRoot(),
            new Dictionary<string, string>());

        Assert.True(await import.WaitForExitAsync(TimeSpan.FromSeconds(150), ct), "The import did not finish:\n" + import.Output);
        Assert.True(import.ExitCode == 0, $"Exit code {import.ExitCode}:\n{import.Output}");
        Assert.Contains(import.Lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, $"^{Rows} rows: {Rows} added, 0 updated, 0 unchanged, 0 rejected in [0-9]+ ms$"));
        Assert.Contains("Cache not flushed: no Redis is configured (ConnectionStrings:cache or REDIS_HOST).", import.Lines);

        // At the shipped log levels EF Core says nothing per command, and the output stays a handful of lines.
        Assert.DoesNotContain(import.Lines, line => line.Contains("Executed DbCommand", StringComparison.Ordinal) || line.Contains("INSERT INTO", StringComparison.Ordinal));
        Assert.True(import.Lines.Count < 20, "The import printed more than a summary:\n" + import.Output);

        // A new store: the 52 seed classics, then the file's books.
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync(ct);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM Books";
        Assert.Equal(CatalogSeed.Default.BookCount + Rows, Convert.ToInt32(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture));
    }

    /// <summary>goodbooks-10k's columns and quirks: float-formatted ISBNs, quoted titles with commas, several authors, unicode.</summary>
    private static string GoodbooksShapedCsv(int rows)
    {
        var text = new StringBuilder(CatalogImportTests.Header).Append('\n');
        for (var id = 1; id <= rows; id++)
        {
            var title = id % 3 == 0 ? $"\"Tale {id}, Part {id % 7} (Série Ωmega, #{id})\"" : $"Tale {id}";
            var authors = id % 2 == 0 ? "\"Ann Author, Björn Writer\"" : "Chloé Penn";
            var rating = (3 + (id % 20) / 10.0).ToString("0.00", CultureInfo.InvariantCulture);
            text.Append(CatalogImportTests.Row(10_000 + id, title, authors, rating).Replace(",123,9780000000001,", $",{id:D9},{9.780439023e12 + id:0.#####e+00},", StringComparison.Ordinal)).Append('\n');
        }

        return text.ToString();
    }
}
