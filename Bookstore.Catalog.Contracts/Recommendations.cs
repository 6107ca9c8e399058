namespace Bookstore.Catalog.Contracts;

/// <summary>
/// Books recommended to a user. Ids only, not copies of the books: a book's change then invalidates just
/// its own entry, and the list is resolved through the book cache when shown.
/// </summary>
public sealed record Recommendations(int UserId, IReadOnlyList<int> BookIds, DateTimeOffset GeneratedAt);
