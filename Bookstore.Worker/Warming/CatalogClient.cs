using System.Globalization;
using System.Net.Http.Json;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Serialization;

namespace Bookstore.Worker.Warming;

/// <summary>The warmer's view of the catalog API (found through Aspire service discovery).</summary>
public sealed class CatalogClient(HttpClient http)
{
    /// <summary>
    /// The most popular books, each as the API's JSON for it and its id: the warmer writes that JSON into the cache
    /// entries as it came (<see cref="EncodedJson"/>), instead of decoding 10,000 books and encoding them again.
    /// </summary>
    public async Task<IReadOnlyList<EncodedJsonElement>> GetMostPopularBooksAsync(int limit, CancellationToken cancellationToken)
    {
        var json = await http.GetByteArrayAsync(
            new Uri("/catalog/popular-books?limit=" + limit.ToString(CultureInfo.InvariantCulture), UriKind.Relative), cancellationToken);
        return EncodedJsonArray.SplitById(json);
    }

    /// <summary>
    /// Fresh recommendations of the <paramref name="readers"/> most recently active readers, each with the cache id and
    /// tags the API reads them under (the API owns its key scheme; the warmer writes exactly that entry).
    /// </summary>
    public async Task<IReadOnlyList<RecommendationsEntry>> GetActiveReaderRecommendationsAsync(int readers, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<List<RecommendationsEntry>>(
            new Uri("/catalog/active-readers/recommendations?users=" + readers.ToString(CultureInfo.InvariantCulture), UriKind.Relative), cancellationToken)
        ?? [];

    /// <summary>Asks the API for a list page, which the API caches the way readers will ask for it.</summary>
    public async Task WarmListPageAsync(int page, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(
            new Uri($"/books?sort=popularity&page={page.ToString(CultureInfo.InvariantCulture)}&pageSize=20", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
