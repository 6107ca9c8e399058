using System.Globalization;

namespace Bookstore.Caching.Typed;

/// <summary>
/// The tags invalidation works by. Every entry that depends on a user carries <see cref="User"/>; every entry that
/// shows a book (the book, list pages holding it, recommendations naming it) carries <see cref="Book"/>.
/// </summary>
public static class CacheTags
{
    public static string User(long userId) => string.Create(CultureInfo.InvariantCulture, $"user:{userId}");

    public static string Book(long bookId) => string.Create(CultureInfo.InvariantCulture, $"book:{bookId}");

    /// <summary>Carried by every entry of a type, so one type can be flushed without touching the others.</summary>
    public static string Type(CacheType type) => "type:" + type.ToString().ToLowerInvariant();
}
