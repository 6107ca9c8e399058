using Bookstore.Catalog.Contracts;

namespace Bookstore.Api.Catalog;

/// <summary>Entities to the cached records, in one place.</summary>
internal static class CatalogMapping
{
    public static Book ToBook(this BookEntity entity, bool withDescription = true) => new(
        entity.Id,
        entity.Title,
        [.. entity.Authors.OrderBy(a => a.Position).Select(a => a.Author.Name)],
        entity.AverageRating,
        entity.RatingsCount,
        entity.Isbn13,
        entity.OriginalPublicationYear,
        entity.LanguageCode,
        entity.ImageUrl,
        withDescription ? entity.Description : null);
}
