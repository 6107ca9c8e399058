using Bookstore.Catalog.Contracts;

namespace Bookstore.Tests.Unit.Serialization;

/// <summary>Fixed catalog values: the golden payloads were written from exactly these, so never edit them.</summary>
internal static class SampleCatalog
{
    public static readonly DateTimeOffset Moment = new(2025, 11, 26, 14, 30, 15, 123, TimeSpan.FromHours(1));

    public static Book Book { get; } = new(
        Id: 2,
        Title: "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)",
        Authors: ["J.K. Rowling", "Mary GrandPré"],
        AverageRating: 4.44,
        RatingsCount: 4602479,
        Isbn13: "9780439554930",
        OriginalPublicationYear: 1997,
        LanguageCode: "eng",
        ImageUrl: "https://images.gr-assets.com/books/1474154022m/3.jpg",
        Description: "Harry discovers on his eleventh birthday that he is a wizard.");

    /// <summary>Non-ASCII in every string field, including text outside the Basic Multilingual Plane.</summary>
    public static Book UnicodeBook { get; } = new(
        Id: 70_000,
        Title: "Cien años de soledad — 百年の孤独 📚",
        Authors: ["Gabriel García Márquez", "Ζωή Κ.", "Алексей 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"],
        AverageRating: 0.1,
        RatingsCount: 0,
        LanguageCode: "spa",
        Description: "Line one\nLine two\t\"quoted\" \\ back-slashed \u0000 nul and \u2028 separator");

    /// <summary>Only the required fields: every optional one absent.</summary>
    public static Book MinimalBook { get; } = new(Id: 1, Title: "T", Authors: [], AverageRating: 0, RatingsCount: 0);

    public static BookSummary Summary { get; } = new(
        Id: 1,
        Title: "The Hunger Games (The Hunger Games, #1)",
        Authors: ["Suzanne Collins"],
        AverageRating: 4.34,
        RatingsCount: 4780653,
        Isbn13: "9780439023480",
        OriginalPublicationYear: 2008,
        LanguageCode: "eng",
        ImageUrl: "https://images.gr-assets.com/books/1447303603m/2767052.jpg");

    /// <summary>Six books with descriptions: about 2 KB of JSON, above the default compression threshold and compressible.</summary>
    public static BookPage Page { get; } = new(
        Items: [.. Enumerable.Range(1, 6).Select(PageBook)],
        Page: 1,
        PageSize: 6,
        TotalCount: 10_000);

    public static UserProfile User { get; } = new(42, "Ada Lovelace", "ada@example.org", Moment);

    public static Cart Cart { get; } = new(
        UserId: 42,
        Items: [new CartItem(2, 1, 12.99m), new CartItem(3, 2, 0.01m), new CartItem(4, 1, 79228162514264337593543950335m)],
        UpdatedAt: Moment);

    public static Recommendations Recommendations { get; } = new(42, [2, 3, 5, 8, 13], Moment);

    private static Book PageBook(int id) => new(
        Id: id,
        Title: $"Book number {id} of the sample catalog page",
        Authors: [$"Author {id}", "Second Author"],
        AverageRating: 3.5 + (id / 10.0),
        RatingsCount: id * 1000,
        Isbn13: $"978000000000{id}",
        OriginalPublicationYear: 1990 + id,
        LanguageCode: "eng",
        ImageUrl: $"https://images.gr-assets.com/books/1447303603m/{id}.jpg",
        Description: "A sample description that repeats across the page so that the body compresses well, as real catalog pages do.");
}
