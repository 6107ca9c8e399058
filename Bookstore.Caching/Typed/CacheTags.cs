using System.Globalization;

namespace Bookstore.Caching.Typed;

/// <summary>
/// The tags invalidation works by. Every entry that depends on a user carries <see cref="User"/>; every entry that
/// shows a book (the book, list pages holding it, recommendations naming it) carries <see cref="Book"/>. A whole type is
/// flushed with <see cref="ICacheService.ClearTypeAsync"/>, not by a tag (a tag on every entry is checked on every hit).
/// </summary>
public static class CacheTags
{
    public static string User(long userId) => string.Create(CultureInfo.InvariantCulture, $"user:{userId}");

    public static string Book(long bookId) => string.Create(CultureInfo.InvariantCulture, $"book:{bookId}");
}
