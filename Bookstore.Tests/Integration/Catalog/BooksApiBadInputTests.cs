using System.Net;
using System.Text;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

[Trait("Category", "Integration")]
public sealed class BooksApiBadInputTests(CatalogApiFixture fixture) : IClassFixture<CatalogApiFixture>
{
    private const string ValidBook = """{"title":"Valid","authors":["Someone"],"price":5}""";

    private static readonly string TwoMegabytes = """{"title":"Big","authors":["Someone"],"price":5,"description":""" + "\"" + new string('x', 2 * 1024 * 1024) + "\"}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>method, url, body (null: none), content type, the expected status.</summary>
    public static TheoryData<string, string, string?, string, int> BadRequests => new()
    {
        { "GET", "/books/-1", null, "", 400 },
        { "GET", "/books/0", null, "", 400 },
        { "GET", "/books/abc", null, "", 400 },
        { "GET", "/books/99999999999999", null, "", 400 },
        { "GET", "/books/987654", null, "", 404 },
        { "GET", "/books?pageSize=0", null, "", 400 },
        { "GET", "/books?pageSize=1000", null, "", 400 },
        { "GET", "/books?page=0", null, "", 400 },
        { "GET", "/books?page=-3", null, "", 400 },
        { "GET", "/books?page=abc", null, "", 400 },
        { "GET", "/books?sort=unknown", null, "", 400 },
        { "GET", "/books?sort=1", null, "", 400 },
        { "GET", "/books?year=nineteen", null, "", 400 },
        { "GET", "/books?language=%27%3B%20drop%20table", null, "", 400 },
        { "GET", "/books?author=" + new string('a', 101), null, "", 400 },
        { "GET", "/books/search", null, "", 400 },
        { "GET", "/books/search?q=", null, "", 400 },
        { "GET", "/books/search?q=" + new string('q', 101), null, "", 400 },
        { "POST", "/books", "{\"title\": ", "application/json", 400 },
        { "POST", "/books", "null", "application/json", 400 },
        { "POST", "/books", "[]", "application/json", 400 },
        { "POST", "/books", """{"title":"","authors":["Someone"],"price":5}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":[],"price":5}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":"Someone","price":5}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"]}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"],"price":-1}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"],"price":5,"originalPublicationYear":99999999999}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"],"price":5,"isbn13":"12"}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"],"price":5,"imageUrl":"javascript:alert(1)"}""", "application/json", 400 },
        { "POST", "/books", """{"title":"T","authors":["Someone"],"price":5,"unknown":1}""", "application/json", 400 },
        { "POST", "/books", ValidBook, "text/plain", 415 },
        { "POST", "/books", TwoMegabytes, "application/json", 413 },
        { "PUT", "/books/1", "{\"title\": ", "application/json", 400 },
        { "PUT", "/books/1", """{"title":"   ","authors":["Someone"],"price":5}""", "application/json", 400 },
        { "PUT", "/books/1", TwoMegabytes, "application/json", 413 },
        { "PUT", "/books/abc", ValidBook, "application/json", 400 },
        { "PUT", "/books/-1", ValidBook, "application/json", 400 },
        { "PUT", "/books/987654", ValidBook, "application/json", 404 },
        { "DELETE", "/books/-5", null, "", 400 },
        { "DELETE", "/books/abc", null, "", 400 },
        { "DELETE", "/books/987654", null, "", 404 },
    };

    [Fact]
    public async Task BadRequestsAreAnsweredWithProblemDetailsAndChangeNothing()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateAdminClient();
        var countBefore = await api.Store.CountBooksAsync(Ct);
        var bookBefore = JsonSerializer.Serialize(await api.Store.GetBookAsync(1, Ct));

        var failures = new List<string>();
        foreach (var row in BadRequests)
        {
            var (method, url, body, contentType, expected) = row.Data;
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            }

            using var response = await http.SendAsync(request, Ct);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status != expected || status >= 500 || mediaType != "application/problem+json")
            {
                failures.Add($"{method} {url[..Math.Min(url.Length, 60)]} ({body?.Length ?? 0} bytes): {status} {mediaType}, expected {expected} problem+json");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(countBefore, await api.Store.CountBooksAsync(Ct));
        Assert.Equal(bookBefore, JsonSerializer.Serialize(await api.Store.GetBookAsync(1, Ct)));
    }

    [Fact]
    public async Task ABodyWithoutContentLengthIsCutOffAtTheLimit()
    {
        var api = await fixture.ForTestAsync();
        using var http = api.CreateAdminClient();
        var countBefore = await api.Store.CountBooksAsync(Ct);

        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(TwoMegabytes)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.ContentLength = null;
        using var response = await http.PostAsync(new Uri("/books", UriKind.Relative), content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(countBefore, await api.Store.CountBooksAsync(Ct));
        Assert.Equal(CatalogSeed.Default.BookCount, countBefore);
    }
}
