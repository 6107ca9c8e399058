using System.Text.Json;
using Bookstore.Tests.Support;

namespace Bookstore.Tests.Integration.Catalog;

/// <summary>A class fixture: one API on one redis-server and a SQLite file, the OpenAPI document it serves, and the client generated from it.</summary>
public sealed class ServedOpenApiDocument : IAsyncLifetime
{
    private readonly TemporaryDirectory _data = new("bookstore-openapi-");
    private RedisServer? _redis;
    private CatalogApiFactory? _api;
    private GeneratedApiClient? _client;

    internal CatalogApiFactory Api => _api ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The document as served, for tools that read a file.</summary>
    public string Text { get; private set; } = string.Empty;

    public JsonElement Document { get; private set; }

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _api = new CatalogApiFactory(_redis, Path.Combine(_data.Path, "catalog.db"));
        using var http = _api.CreateClient();
        Text = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken);
        Document = JsonDocument.Parse(Text).RootElement;
    }

    /// <summary>The NSwag client of <see cref="Text"/>, generated and compiled once per fixture.</summary>
    internal async Task<GeneratedApiClient> ClientAsync() => _client ??= await GeneratedApiClient.GenerateAsync(Text);

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _data.Dispose();
    }
}
