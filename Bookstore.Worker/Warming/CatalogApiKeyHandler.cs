namespace Bookstore.Worker.Warming;

/// <summary>
/// Puts the API's admin key (<c>Bookstore:Security:AdminApiKey</c>, the AppHost's <c>api-admin-key</c>) on the
/// warmer's calls to the API's <c>/catalog/*</c> bulk endpoints, which take nothing else. Other calls (list pages,
/// which readers ask for too) go without it, so the key travels no further than it must.
/// </summary>
public sealed class CatalogApiKeyHandler(string? adminApiKey) : DelegatingHandler
{
    public const string ConfigurationKey = "Bookstore:Security:AdminApiKey";

    public const string HeaderName = "X-Api-Key";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(adminApiKey)
            && request.RequestUri is { } uri
            && (uri.IsAbsoluteUri ? uri.AbsolutePath : uri.OriginalString).StartsWith("/catalog/", StringComparison.Ordinal))
        {
            request.Headers.Remove(HeaderName);
            request.Headers.Add(HeaderName, adminApiKey);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
