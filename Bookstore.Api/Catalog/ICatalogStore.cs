using Bookstore.Catalog.Contracts;

namespace Bookstore.Api.Catalog;

/// <summary>
/// The catalog's data store. The API, the importer and the cache only know this interface; the provider behind it
/// (SQLite today) is chosen by <c>Bookstore:Catalog:Provider</c>. Reads return the cached records of
/// <see cref="Bookstore.Catalog.Contracts"/>, so what is cached is exactly what is served.
/// </summary>
public interface ICatalogStore
{
    /// <summary>Creates the schema when it does not exist yet.</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    Task<int> CountBooksAsync(CancellationToken cancellationToken);

    Task<Book?> GetBookAsync(int id, CancellationToken cancellationToken);

    /// <summary>The <paramref name="limit"/> most popular books (most ratings first), whole, for the cache warmer.</summary>
    Task<IReadOnlyList<Book>> GetMostPopularBooksAsync(int limit, CancellationToken cancellationToken);

    /// <summary>The books with these ids, whole, in no particular order; ids with no book are left out.</summary>
    Task<IReadOnlyList<Book>> GetBooksAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken);

    /// <summary>A page of books, filtered and sorted; list entries carry no description.</summary>
    Task<BookPage> ListBooksAsync(BookQuery query, CancellationToken cancellationToken);

    /// <summary>Books whose title or an author's name contains the text (case-insensitive), most rated first.</summary>
    Task<BookPage> SearchAsync(string text, int page, int pageSize, CancellationToken cancellationToken);

    Task<Book> CreateBookAsync(BookInput input, CancellationToken cancellationToken);

    /// <summary>The updated book and the book as it was, or <see langword="null"/> when there is no such book.</summary>
    Task<BookUpdate?> UpdateBookAsync(int id, BookInput input, CancellationToken cancellationToken);

    Task<bool> DeleteBookAsync(int id, CancellationToken cancellationToken);

    /// <summary>Adds or updates books by their goodreads id (idempotent); the rows are already validated.</summary>
    Task<ImportCounts> UpsertImportedBooksAsync(IReadOnlyList<ImportedBook> books, CancellationToken cancellationToken);

    /// <summary>Writes the shipped seed when the catalog holds no book; false when it already had books.</summary>
    Task<bool> SeedIfEmptyAsync(CatalogSeed seed, CancellationToken cancellationToken);

    Task<UserProfile?> GetUserAsync(int userId, CancellationToken cancellationToken);

    /// <summary>The user's id and password hash for a sign-in, or <see langword="null"/> when there is no such user.</summary>
    Task<ReaderCredentials?> FindCredentialsAsync(int userId, CancellationToken cancellationToken);

    /// <summary><see cref="FindCredentialsAsync(int, CancellationToken)"/> by e-mail address (compared without case).</summary>
    Task<ReaderCredentials?> FindCredentialsByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>Replaces the user's password hash; false when there is no such user.</summary>
    Task<bool> SetPasswordHashAsync(int userId, string passwordHash, CancellationToken cancellationToken);

    /// <summary>The user's cart (empty when they never added anything), or <see langword="null"/> when there is no such user.</summary>
    Task<Cart?> GetCartAsync(int userId, CancellationToken cancellationToken);

    /// <summary>Sets the quantity of a cart line, adding the line at the book's current price when it is new.</summary>
    Task<UserWrite> SetCartItemAsync(int userId, int bookId, int quantity, CancellationToken cancellationToken);

    /// <summary>Removes one cart line; <see cref="UserWrite.BookNotFound"/> when the cart holds no such line.</summary>
    Task<UserWrite> RemoveCartItemAsync(int userId, int bookId, CancellationToken cancellationToken);

    Task<UserWrite> ClearCartAsync(int userId, CancellationToken cancellationToken);

    /// <summary>Adds or replaces the user's rating (1 to 5) of a book.</summary>
    Task<UserWrite> SetRatingAsync(int userId, int bookId, int value, CancellationToken cancellationToken);

    /// <summary>
    /// What recommendations for the user are computed from, or <see langword="null"/> when there is no such user. Candidates
    /// are bounded: books by authors the user liked, books liked by users who liked what the user liked, and the
    /// <paramref name="popularCandidates"/> most rated books.
    /// </summary>
    Task<RecommendationInputs?> GetRecommendationInputsAsync(int userId, int popularCandidates, CancellationToken cancellationToken);
}

/// <summary>What a sign-in checks: the user and their password hash (<see langword="null"/>: the user cannot sign in).</summary>
public sealed record ReaderCredentials(int UserId, string? PasswordHash);

/// <summary>The outcome of a write to a user's cart or ratings.</summary>
public enum UserWrite
{
    Done,
    UserNotFound,
    BookNotFound,
}

/// <param name="ExcludedBookIds">Books the user rated or holds in the cart: never recommended.</param>
/// <param name="LikedAuthorIds">Author id → how many books by that author the user rated 4 or more.</param>
/// <param name="PeerLikes">Book id → how many users who liked one of the user's liked books also liked this one.</param>
/// <param name="Candidates">The books to score (exclusions already removed).</param>
public sealed record RecommendationInputs(
    IReadOnlySet<int> ExcludedBookIds,
    IReadOnlyDictionary<int, int> LikedAuthorIds,
    IReadOnlyDictionary<int, int> PeerLikes,
    IReadOnlyList<RecommendationCandidate> Candidates);

public sealed record RecommendationCandidate(int BookId, IReadOnlyList<int> AuthorIds, double AverageRating, int RatingsCount);

public enum BookSort
{
    Popularity,
    Rating,
    Title,
    Year,
}

/// <summary>A validated list query; <see cref="Language"/> is lower case, <see cref="Author"/> is matched as a substring.</summary>
public sealed record BookQuery(int Page, int PageSize, BookSort Sort, string? Language, int? Year, string? Author);

/// <summary>What a client sends to create or replace a book (validated by the API before it reaches the store).</summary>
public sealed record BookInput(
    string Title,
    IReadOnlyList<string> Authors,
    decimal Price,
    string? Isbn13 = null,
    int? OriginalPublicationYear = null,
    string? LanguageCode = null,
    string? ImageUrl = null,
    string? Description = null);

public sealed record BookUpdate(Book Before, Book After);

/// <summary>One valid row of a goodreads-style CSV.</summary>
public sealed record ImportedBook(
    int GoodreadsBookId,
    string Title,
    IReadOnlyList<string> Authors,
    double AverageRating,
    int RatingsCount,
    string? Isbn13,
    int? OriginalPublicationYear,
    string? LanguageCode,
    string? ImageUrl);

public sealed record ImportCounts(int Added, int Updated, int Unchanged);
