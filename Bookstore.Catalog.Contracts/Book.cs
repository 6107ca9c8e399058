namespace Bookstore.Catalog.Contracts;

/// <summary>A book as the catalog API returns it and the cache stores it (<c>bookstore:v{schema}:book:{id}</c>).</summary>
/// <remarks>
/// Optional fields have defaults so that an absent JSON property reads as <see langword="null"/>, while the
/// serializer rejects a payload that lacks a required one instead of building a book with a null title.
/// </remarks>
public sealed record Book(
    int Id,
    string Title,
    IReadOnlyList<string> Authors,
    double AverageRating,
    int RatingsCount,
    string? Isbn13 = null,
    int? OriginalPublicationYear = null,
    string? LanguageCode = null,
    string? ImageUrl = null,
    string? Description = null);
