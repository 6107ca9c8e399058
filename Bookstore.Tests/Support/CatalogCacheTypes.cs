using Bookstore.Caching.Configuration;
using Bookstore.Catalog.Contracts;

namespace Bookstore.Tests.Support;

/// <summary>
/// The catalog types' JSON metadata in the cache's options, as the API and the worker register it: the cache library
/// knows none of the bookstore's types by itself.
/// </summary>
internal static class CatalogCacheTypes
{
    /// <summary>Adds <see cref="CatalogJsonContext"/> to <paramref name="options"/> and returns them.</summary>
    public static CacheOptions WithCatalogTypes(this CacheOptions options)
    {
        options.JsonTypeInfoResolvers.Add(CatalogJsonContext.Default);
        return options;
    }
}
