namespace Bookstore.Catalog.Contracts;

/// <summary>
/// A reader's recommendations with the cache entry they belong in: the id and tags under which the API's
/// <c>GET /users/{id}/recommendations</c> reads them. The API's bulk endpoint hands these to the cache warmer, so the
/// warmer writes exactly what the API reads without knowing how the API keys its cached results.
/// </summary>
public sealed record RecommendationsEntry(string CacheId, IReadOnlyList<string> Tags, Recommendations Recommendations);
