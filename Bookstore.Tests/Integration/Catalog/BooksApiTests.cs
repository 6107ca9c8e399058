using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Catalog.Contracts;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>The books API's cache-aside reads, writes and backplane on one redis-server and on a Redis Cluster.</summary>
[Trait("Category", "Integration")]
public abstract class BooksApiTestsBase<TRedis>(CatalogApiFixture<TRedis> fixture)
    where TRedis : IRedisFixture, new()
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstReadOfABookIsAMissAndTheSecondAnL1Hit()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();

        using var first = await http.GetAsync(new Uri("/books/1", UriKind.Relative), Ct);
        using var second = await http.GetAsync(new Uri("/books/1", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", CacheHeader(first));
        Assert.Equal("hit-l1", CacheHeader(second));
        var book = await first.Content.ReadFromJsonAsync<Book>(Json, Ct);
        Assert.Equal("Pride and Prejudice", book!.Title);
        Assert.Equal(["Jane Austen"], book.Authors);
    }

    [Fact]
    public async Task UpdateIsSeenAtOnceHereAndOnASecondReplicaThroughTheBackplane()
    {
        var redis = await fixture.FlushedRedisAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        var sqlite = Path.Combine(data.Path, "catalog.db");
        await using var a = new CatalogApiFactory(redis, sqlite);
        using var httpA = a.CreateAdminClient();
        await using var b = new CatalogApiFactory(redis, sqlite);
        using var httpB = b.CreateClient();

        var original = await GetBookAsync(httpA, 3);
        Assert.Equal("miss", original.Header);
        var cachedOnB = await GetBookAsync(httpB, 3);
        Assert.Equal("hit-l2", cachedOnB.Header);
        Assert.Equal("hit-l1", (await GetBookAsync(httpB, 3)).Header);

        using var put = await httpA.PutAsJsonAsync(new Uri("/books/3", UriKind.Relative), new
        {
            title = "Persuasion (revised)",
            authors = new[] { "Jane Austen" },
            price = 12.5m,
            originalPublicationYear = 1817,
            languageCode = "eng",
            description = "Revised in the test.",
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("bypass", CacheHeader(put));

        var afterOnA = await GetBookAsync(httpA, 3);
        Assert.Equal("miss", afterOnA.Header);
        Assert.Equal("Persuasion (revised)", afterOnA.Book.Title);
        Assert.Equal("Revised in the test.", afterOnA.Book.Description);

        // B's L1 copy is evicted by the backplane message; allow it a moment to arrive.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        (Book Book, string Header) onB;
        do
        {
            onB = await GetBookAsync(httpB, 3);
        }
        while (onB.Book.Title != "Persuasion (revised)" && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal("Persuasion (revised)", onB.Book.Title);
    }

    [Fact]
    public async Task ListsPageSortAndFilterAndAreCachedByTheirCanonicalQuery()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();
        var total = CatalogSeed.Default.BookCount;

        var (first, firstHeader) = await GetPageAsync(http, "/books?page=1&pageSize=10");
        Assert.Equal("miss", firstHeader);
        Assert.Equal((1, 10, total, 10), (first.Page, first.PageSize, first.TotalCount, first.Items.Count));
        Assert.True(first.Items.Zip(first.Items.Skip(1)).All(p => p.First.RatingsCount >= p.Second.RatingsCount), "popularity: most ratings first");
        Assert.All(first.Items, b => Assert.Null(b.Description));

        // Same query, other spelling of the defaults: the same cache entry.
        Assert.Equal("hit-l1", (await GetPageAsync(http, "/books?pageSize=10&sort=POPULARITY")).Header);

        var (last, _) = await GetPageAsync(http, $"/books?page={(total + 9) / 10}&pageSize=10");
        Assert.Equal(total % 10 == 0 ? 10 : total % 10, last.Items.Count);
        Assert.Empty((await GetPageAsync(http, "/books?page=99&pageSize=10")).Page.Items);

        var byTitle = (await GetPageAsync(http, "/books?sort=title&pageSize=100")).Page.Items.Select(b => b.Title).ToList();
        Assert.Equal(total, byTitle.Count);
        Assert.Equal(byTitle.Order(StringComparer.Ordinal), byTitle);

        var byYear = (await GetPageAsync(http, "/books?sort=year&pageSize=5")).Page.Items;
        Assert.Equal("To the Lighthouse", byYear[0].Title);
        Assert.True(byYear.Zip(byYear.Skip(1)).All(p => p.First.OriginalPublicationYear >= p.Second.OriginalPublicationYear));

        var byRating = (await GetPageAsync(http, "/books?sort=rating&pageSize=100")).Page.Items;
        Assert.True(byRating.Zip(byRating.Skip(1)).All(p => p.First.AverageRating >= p.Second.AverageRating));

        var french = (await GetPageAsync(http, "/books?language=FRE&pageSize=100")).Page;
        Assert.Equal(8, french.TotalCount);
        Assert.All(french.Items, b => Assert.Equal("fre", b.LanguageCode));

        var of1844 = (await GetPageAsync(http, "/books?year=1844")).Page;
        Assert.Equal(["Le Comte de Monte-Cristo", "Les Trois Mousquetaires"], of1844.Items.Select(b => b.Title).Order(StringComparer.Ordinal));

        var austen = (await GetPageAsync(http, "/books?author=austen&sort=title")).Page;
        Assert.Equal(["Emma", "Persuasion", "Pride and Prejudice", "Sense and Sensibility"], austen.Items.Select(b => b.Title));
    }

    [Fact]
    public async Task SearchFindsTitlesAndAuthors()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateClient();

        var (dickens, header) = await GetPageAsync(http, "/books/search?q=Dickens");
        Assert.Equal("miss", header);
        Assert.Equal(4, dickens.TotalCount);
        Assert.All(dickens.Items, b => Assert.Contains("Charles Dickens", b.Authors));

        var (byTitle, _) = await GetPageAsync(http, "/books/search?q=wuthering");
        Assert.Equal("Wuthering Heights", Assert.Single(byTitle.Items).Title);
        Assert.Equal("hit-l1", (await GetPageAsync(http, "/books/search?q=WUTHERING")).Header);
        Assert.Equal(0, (await GetPageAsync(http, "/books/search?q=zzzz-no-such-book")).Page.TotalCount);
    }

    [Fact]
    public async Task CreateAndDeleteDropEveryListPageAndUpdateDropsThePagesHoldingTheBook()
    {
        var redis = await fixture.FlushedRedisAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateAdminClient();
        var total = CatalogSeed.Default.BookCount;

        // An id looked up before it exists is cached as absent; creating it must not leave that answer behind.
        using (var absent = await http.GetAsync(new Uri($"/books/{total + 1}", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        }

        await GetPageAsync(http, "/books?sort=title&pageSize=100");
        using var created = await http.PostAsJsonAsync(new Uri("/books", UriKind.Relative), new
        {
            title = "The Moonstone",
            authors = new[] { "Wilkie Collins" },
            price = 9.99m,
            originalPublicationYear = 1868,
            languageCode = "eng",
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var moonstone = (await created.Content.ReadFromJsonAsync<Book>(Json, Ct))!;
        Assert.Equal(total + 1, moonstone.Id);
        Assert.Equal("The Moonstone", (await GetBookAsync(http, moonstone.Id)).Book.Title);

        var (afterCreate, header) = await GetPageAsync(http, "/books?sort=title&pageSize=100");
        Assert.Equal("miss", header);
        Assert.Equal(total + 1, afterCreate.TotalCount);

        // A price change shows on no page: a page not holding the book stays cached, the book itself is reloaded.
        var (french, _) = await GetPageAsync(http, "/books?language=fre");
        using (var put = await http.PutAsJsonAsync(new Uri($"/books/{moonstone.Id}", UriKind.Relative), new
        {
            title = "The Moonstone",
            authors = new[] { "Wilkie Collins" },
            price = 11m,
            originalPublicationYear = 1868,
            languageCode = "eng",
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal("hit-l1", (await GetPageAsync(http, "/books?language=fre")).Header);
        Assert.Equal("miss", (await GetPageAsync(http, "/books?sort=title&pageSize=100")).Header);

        using (var deleted = await http.DeleteAsync(new Uri($"/books/{moonstone.Id}", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await http.GetAsync(new Uri($"/books/{moonstone.Id}", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        }

        var (afterDelete, _) = await GetPageAsync(http, "/books?language=fre");
        Assert.Equal(french.TotalCount, afterDelete.TotalCount);
        Assert.Equal(total, (await GetPageAsync(http, "/books?sort=title&pageSize=100")).Page.TotalCount);
    }

    [Fact]
    public async Task AdminImportUpsertsACsvBodyAndTheBooksAreServed()
    {
        var redis = await fixture.FlushedRedisAsync();
        using var data = new TemporaryDirectory("bookstore-catalog-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateAdminClient();
        Assert.Equal(0, (await GetPageAsync(http, "/books/search?q=Imported")).Page.TotalCount);

        using var body = new StringContent(CatalogImportTests.Header + "\n" + CatalogImportTests.Row(901, "An Imported Book", "Ima Porter", "4.1"), System.Text.Encoding.UTF8, "text/csv");
        using var response = await http.PostAsync(new Uri("/admin/import", UriKind.Relative), body, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<ImportReport>(Json, Ct))!;
        Assert.Equal((1, 1, 0), (report.Rows, report.Added, report.Rejected));
        var (found, header) = await GetPageAsync(http, "/books/search?q=Imported");
        Assert.Equal("miss", header);
        Assert.Equal("An Imported Book", Assert.Single(found.Items).Title);
    }

    internal static string? CacheHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    private static async Task<bool> Delay()
    {
        await Task.Delay(100, Ct);
        return true;
    }

    private static async Task<(Book Book, string Header)> GetBookAsync(HttpClient http, int id)
    {
        using var response = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<Book>(Json, Ct))!, CacheHeader(response)!);
    }

    private static async Task<(BookPage Page, string Header)> GetPageAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<BookPage>(Json, Ct))!, CacheHeader(response)!);
    }
}

public sealed class BooksApiTests(CatalogApiFixture fixture) : BooksApiTestsBase<RedisFixture>(fixture), IClassFixture<CatalogApiFixture>;

public sealed class BooksApiClusterTests(CatalogApiClusterFixture fixture) : BooksApiTestsBase<RedisClusterFixture>(fixture), IClassFixture<CatalogApiClusterFixture>;
