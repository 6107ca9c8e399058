namespace Bookstore.Catalog.Contracts;

/// <summary>The fields of a <see cref="Book"/> that lists and search results show; no description, so list entries stay small.</summary>
public sealed record BookSummary(
    int Id,
    string Title,
    IReadOnlyList<string> Authors,
    double AverageRating,
    int RatingsCount,
    string? Isbn13 = null,
    int? OriginalPublicationYear = null,
    string? LanguageCode = null,
    string? ImageUrl = null);
