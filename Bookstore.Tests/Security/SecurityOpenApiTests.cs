using System.Text.Json;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Security;

[Trait("Category", "Security")]
public sealed class SecurityOpenApiTests
{
    [Fact]
    public async Task TheDocumentAdvertisesBothSchemesOnTheOperationsThatTakeThem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-openapi-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();

        var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), ct)).RootElement;

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        var apiKey = schemes.GetProperty("ApiKey");
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (apiKey.GetProperty("type").GetString(), apiKey.GetProperty("in").GetString(), apiKey.GetProperty("name").GetString()));
        var bearer = schemes.GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString()));

        var paths = document.GetProperty("paths");
        Assert.Equal(["ApiKey"], SchemesOf(paths, "/books", "post"));
        Assert.Equal(["ApiKey"], SchemesOf(paths, "/books/{id}", "delete"));
        Assert.Equal(["ApiKey"], SchemesOf(paths, "/admin/import", "post"));
        Assert.Equal(["ApiKey"], SchemesOf(paths, "/catalog/popular-books", "get"));
        Assert.Equal(["ApiKey"], SchemesOf(paths, "/redis/roundtrip", "get"));
        Assert.Equal(["ApiKey", "Bearer"], SchemesOf(paths, "/users/{id}/cart", "get"));
        Assert.Equal(["ApiKey", "Bearer"], SchemesOf(paths, "/users/{id}/ratings/{bookId}", "put"));
        Assert.Equal(["ApiKey", "Bearer"], SchemesOf(paths, "/sessions/{token}", "delete"));
        Assert.Empty(SchemesOf(paths, "/books/{id}", "get"));
        Assert.Empty(SchemesOf(paths, "/sessions", "post"));
        Assert.Empty(SchemesOf(paths, "/users/{id}", "get"));
    }

    /// <summary>The schemes the operation's security requirements name, any of which is enough.</summary>
    private static IReadOnlyList<string> SchemesOf(JsonElement paths, string path, string method) =>
        paths.GetProperty(path).GetProperty(method).TryGetProperty("security", out var security)
            ? [.. security.EnumerateArray().SelectMany(requirement => requirement.EnumerateObject().Select(p => p.Name)).Order(StringComparer.Ordinal)]
            : [];
}
