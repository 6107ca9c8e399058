using System.Globalization;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;

namespace Bookstore.Api.Popularity;

/// <summary>
/// Live view counts per book in one Redis sorted set, <c>bookstore:v1:views:books</c> (member: book id, score: views),
/// so the most viewed books are one ZRANGE away. Bounded by the number of books; never expires (no TTL, so a
/// <c>volatile-*</c> eviction policy never drops it).
/// </summary>
public sealed partial class BookViews(IRedisService redis, ILogger<BookViews> logger)
{
    public static readonly string Key = CacheKeyBuilder.ForName("views", "books");

    /// <summary>
    /// Counts one view without holding up the read that made it: the ZINCRBY is sent and not awaited. A failure never
    /// reaches the reader; RedisService counts it in <c>bookstore.cache.errors</c> and it is logged here.
    /// </summary>
    public void Count(int bookId) => _ = CountAsync(bookId);

    /// <summary>Up to <paramref name="count"/> book ids with their views, most viewed first; null when Redis failed.</summary>
    public async Task<IReadOnlyDictionary<int, long>?> GetMostViewedAsync(int count, CancellationToken cancellationToken)
    {
        var top = await redis.GetTopScoresAsync(Key, count, 1, cancellationToken);
        if (!top.TryGetValue(out var members))
        {
            return null;
        }

        var views = new Dictionary<int, long>(members!.Count);
        foreach (var member in members)
        {
            // Only this class writes the set, always with an id; anything else is skipped rather than trusted.
            if (int.TryParse(member.Member, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                views[id] = (long)member.Score;
            }
        }

        return views;
    }

    /// <summary>The views of each book (0 for a book never viewed), in the order asked; null when Redis failed.</summary>
    public async Task<IReadOnlyList<long>?> GetViewsAsync(IReadOnlyList<int> bookIds, CancellationToken cancellationToken)
    {
        var scores = await redis.GetScoresAsync(Key, [.. bookIds.Select(Member)], cancellationToken);
        return scores.TryGetValue(out var values) ? [.. values!.Select(v => (long)(v ?? 0))] : null;
    }

    private async Task CountAsync(int bookId)
    {
        // No request token: the count should land even when the reader has already gone.
        var counted = await redis.IncrementScoreAsync(Key, Member(bookId), 1, CancellationToken.None);
        if (!counted.Succeeded)
        {
            LogViewNotCounted(bookId, counted.Error);
        }
    }

    private static string Member(int bookId) => bookId.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The view of book {BookId} was not counted: Redis {Error}")]
    private partial void LogViewNotCounted(int bookId, string? error);
}
