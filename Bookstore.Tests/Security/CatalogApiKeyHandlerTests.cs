extern alias worker;

using System.Net;
using worker::Bookstore.Worker.Warming;

namespace Bookstore.Tests.Security;

/// <summary>The worker's key goes to the API's /catalog/* bulk endpoints and nowhere else (CacheWarmerTests uses it against the real API).</summary>
[Trait("Category", "Security")]
public sealed class CatalogApiKeyHandlerTests
{
    [Theory]
    [InlineData("http://api/catalog/popular-books?limit=5", "k3y-0123456789abcdef", true)]
    [InlineData("http://api/books?sort=popularity&page=1", "k3y-0123456789abcdef", false)]
    [InlineData("http://api/catalogue/x", "k3y-0123456789abcdef", false)]
    [InlineData("http://api/catalog/popular-books", null, false)]
    [InlineData("http://api/catalog/popular-books", "", false)]
    public async Task SendsTheKeyOnlyToCatalogEndpointsAndOnlyWhenConfigured(string url, string? key, bool sent)
    {
        var seen = new RecordingHandler();
        using var http = new HttpClient(new CatalogApiKeyHandler(key) { InnerHandler = seen });

        using var response = await http.GetAsync(new Uri(url), TestContext.Current.CancellationToken);

        Assert.Equal(sent, seen.Headers!.TryGetValues("X-Api-Key", out var values));
        if (sent)
        {
            Assert.Equal([key], values);
        }
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public System.Net.Http.Headers.HttpRequestHeaders? Headers { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Headers = request.Headers;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
