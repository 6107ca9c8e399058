namespace Bookstore.Catalog.Contracts;

/// <summary>One page of the catalog; <paramref name="Page"/> is 1-based.</summary>
public sealed record BookPage(IReadOnlyList<Book> Items, int Page, int PageSize, int TotalCount);
