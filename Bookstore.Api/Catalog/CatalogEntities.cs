namespace Bookstore.Api.Catalog;

/// <summary>A book row. The API and the cache never see it: <see cref="CatalogMapping"/> turns it into the cached records.</summary>
public sealed class BookEntity
{
    public int Id { get; set; }

    /// <summary>The goodreads id of imported books: the key a re-import upserts by. Null for books created through the API.</summary>
    public int? GoodreadsBookId { get; set; }

    public required string Title { get; set; }

    public string? Isbn13 { get; set; }

    public int? OriginalPublicationYear { get; set; }

    public string? LanguageCode { get; set; }

    public double AverageRating { get; set; }

    public int RatingsCount { get; set; }

    public string? ImageUrl { get; set; }

    public string? Description { get; set; }

    public decimal Price { get; set; }

    public List<BookAuthorEntity> Authors { get; set; } = [];
}

public sealed class AuthorEntity
{
    public int Id { get; set; }

    public required string Name { get; set; }
}

/// <summary>The many-to-many link; <see cref="Position"/> keeps the author order of the source.</summary>
public sealed class BookAuthorEntity
{
    public int BookId { get; set; }

    public int AuthorId { get; set; }

    public int Position { get; set; }

    public AuthorEntity Author { get; set; } = null!;
}

public sealed class UserEntity
{
    public int Id { get; set; }

    public required string DisplayName { get; set; }

    public required string Email { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// The reader's password as ASP.NET Core Identity's <c>PasswordHasher</c> stores it (algorithm, salt and iteration
    /// count inside), or <see langword="null"/> for a reader who cannot sign in. Added after the first release:
    /// <see cref="CatalogSchemaUpgrade"/> adds the column to a database created before it.
    /// </summary>
    public string? PasswordHash { get; set; }
}

/// <summary>One user's rating of one book, 1 to 5.</summary>
public sealed class RatingEntity
{
    public int UserId { get; set; }

    public int BookId { get; set; }

    public int Value { get; set; }
}

public sealed class CartEntity
{
    public int UserId { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<CartItemEntity> Items { get; set; } = [];
}

/// <summary>A cart line with the price shown when it was added.</summary>
public sealed class CartItemEntity
{
    public int UserId { get; set; }

    public int BookId { get; set; }

    public int Quantity { get; set; }

    public decimal UnitPrice { get; set; }
}
