using Bookstore.Api.Catalog;
using Bookstore.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bookstore.Tests.Integration.Catalog;

[Trait("Category", "Integration")]
public sealed class CatalogImportTests
{
    /// <summary>The goodbooks-10k header: 23 columns.</summary>
    public const string Header = GoodbooksCsv.Header;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Row(int goodreadsId, string title, string authors, string rating, string ratingsCount = "120") =>
        GoodbooksCsv.Row(goodreadsId, title, authors, rating, ratingsCount);

    [Fact]
    public async Task AGoodbooksShapedFileImportsTenThousandBooksWholeAndASecondImportAddsNothing()
    {
        using var data = new TemporaryDirectory("bookstore-import-");
        var csv = Path.Combine(data.Path, "books.csv");
        await GoodbooksCsv.WriteAsync(csv, 10_000, Ct);
        using var host = await StartStoreAsync(Path.Combine(data.Path, "catalog.db"));
        var importer = host.Services.GetRequiredService<GoodreadsCsvImporter>();
        var store = host.Services.GetRequiredService<ICatalogStore>();

        var first = await importer.ImportFileAsync(csv, Ct);
        Assert.Empty(first.Errors);
        Assert.Equal((10_000, 10_000), (first.Rows, first.Added));
        var second = await importer.ImportFileAsync(csv, Ct);
        Assert.Equal((0, 0, 10_000), (second.Added, second.Updated, second.Unchanged));

        // Every row came through whole: quoted titles with commas and quotes, several (and repeated) authors, unicode,
        // BC and missing years, ISBN-13s kept only when written as 13 digits (the float-written ones lost digits).
        var imported = (await store.GetMostPopularBooksAsync(10_000, Ct)).ToDictionary(b => b.Title);
        Assert.Equal(10_000, imported.Count);
        foreach (var expected in Enumerable.Range(1, 10_000).Select(GoodbooksCsv.Book))
        {
            var book = imported[expected.Title];
            Assert.Equal(expected.Authors, book.Authors);
            Assert.Equal(
                (expected.AverageRating, expected.RatingsCount, expected.Isbn13, expected.Year, expected.Language),
                (book.AverageRating, book.RatingsCount, book.Isbn13, book.OriginalPublicationYear, book.LanguageCode));
        }
    }

    [Fact]
    public async Task TheRealGoodbooksFileImportsTenThousandBooksAndASecondImportAddsNothing()
    {
        var (path, absent) = GoodbooksCsv.RealFile();
        if (path is null)
        {
            Assert.Skip(absent!);
        }

        using var data = new TemporaryDirectory("bookstore-import-");
        using var host = await StartStoreAsync(Path.Combine(data.Path, "catalog.db"));
        var importer = host.Services.GetRequiredService<GoodreadsCsvImporter>();
        var store = host.Services.GetRequiredService<ICatalogStore>();

        var first = await importer.ImportFileAsync(path, Ct);
        TestContext.Current.SendDiagnosticMessage($"goodbooks-10k import: {first.Rows} rows in {first.ElapsedMs:F0} ms");

        Assert.Empty(first.Errors);
        Assert.Equal((10_000, 10_000), (first.Rows, first.Added));
        Assert.Equal(10_000, await store.CountBooksAsync(Ct));

        var second = await importer.ImportFileAsync(path, Ct);
        TestContext.Current.SendDiagnosticMessage($"goodbooks-10k re-import: {second.Rows} rows in {second.ElapsedMs:F0} ms");
        Assert.Equal((0, 0, 10_000), (second.Added, second.Updated, second.Unchanged));
        Assert.Equal(10_000, await store.CountBooksAsync(Ct));

        // A row with a quoted title holding a comma and two authors came through whole.
        var page = await store.SearchAsync("Sorcerer's Stone (Harry Potter, #1)", 1, 5, Ct);
        var stone = page.Items[0];
        Assert.Equal(["J.K. Rowling", "Mary GrandPré"], stone.Authors);
        Assert.Equal(1997, stone.OriginalPublicationYear);
    }

    [Fact]
    public async Task BadRowsAreReportedWithTheirLineNumbersAndTheGoodOnesImported()
    {
        using var data = new TemporaryDirectory("bookstore-import-");
        using var host = await StartStoreAsync(Path.Combine(data.Path, "catalog.db"));
        var importer = host.Services.GetRequiredService<GoodreadsCsvImporter>();
        string[] lines =
        [
            Header,                                                            // 1
            Row(1, "\"He said \"\"hi\"\", then left\"", "\"Ann Author, Bob Writer\"", "4.5"), // 2 good: quotes and commas
            Row(2, "Bad Rating", "Some One", "abc"),                            // 3 bad rating
            Row(3, "", "Some One", "3.9"),                                      // 4 missing title
            "4,4,4,1,1,too,few,columns",                                        // 5 wrong column count
            Row(5, "\"A title over", "Some One", "3.0").Replace("over,", "over\ntwo lines\",", StringComparison.Ordinal), // 6-7 good: a line break in a quoted field
            Row(6, "Out Of Range", "Some One", "7.5"),                          // 8 rating above 5
            Row(7, "Good Again", "Some One", "2.0"),                            // 9 good
        ];

        var report = await importer.ImportAsync(new StringReader(string.Join("\r\n", lines)), Ct);

        Assert.Equal([3, 4, 5, 8], report.Errors.Select(e => e.Line));
        Assert.Contains("average_rating", report.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("title", report.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("Expected 23 fields, found 8", report.Errors[2].Message, StringComparison.Ordinal);
        Assert.Equal((7, 3, 4), (report.Rows, report.Added, report.Rejected));

        var store = host.Services.GetRequiredService<ICatalogStore>();
        var quoted = Assert.Single((await store.SearchAsync("then left", 1, 5, Ct)).Items);
        Assert.Equal("He said \"hi\", then left", quoted.Title);
        Assert.Equal(["Ann Author", "Bob Writer"], quoted.Authors);
        Assert.Equal("A title over\ntwo lines", Assert.Single((await store.SearchAsync("two lines", 1, 5, Ct)).Items).Title);
    }

    [Fact]
    public void AnUnknownProviderFailsAtStartNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("Bookstore:Catalog:Provider", "oracle")]);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddCatalog());

        Assert.Contains("Bookstore:Catalog:Provider 'oracle'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<IHost> StartStoreAsync(string sqlitePath)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(
        [
            new("ConnectionStrings:catalog", $"Data Source={sqlitePath}"),
            new("Bookstore:Catalog:Seed", "false"),
        ]);
        builder.AddCatalog();
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }
}
