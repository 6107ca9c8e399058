using System.Net;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

[Trait("Category", "Integration")]
public sealed class OpenApiTests
{
    [Fact]
    public async Task TheDocumentListsTheEndpointsAndTheBrowsableUiServesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-openapi-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();

        var document = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), ct);
        Assert.Contains("\"/books/{id}\"", document, StringComparison.Ordinal);
        Assert.Contains("\"/users/{id}/cart\"", document, StringComparison.Ordinal);
        Assert.Contains("\"/redis/health\"", document, StringComparison.Ordinal);

        using var ui = await http.GetAsync(new Uri("/docs/index.html", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
        using var config = await http.GetAsync(new Uri("/docs/index.js", UriKind.Relative), ct);
        Assert.Contains("/openapi/v1.json", await config.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
