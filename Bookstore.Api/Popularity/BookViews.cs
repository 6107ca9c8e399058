using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Redis;

namespace Bookstore.Api.Popularity;

/// <summary>
/// Live view counts per book in one Redis sorted set, <c>bookstore:v1:views:books</c> (member: book id, score: views),
/// so the most viewed books are one ZRANGE away. Bounded by the number of books; never expires (no TTL, so a
/// <c>volatile-*</c> eviction policy never drops it).
/// </summary>
/// <remarks>
/// A read only adds to a counter in this process (<see cref="Count"/>); <see cref="BookViewsFlusher"/> sends what was
/// counted every <see cref="PopularityOptions.ViewFlushInterval"/> as one pipelined batch, one ZINCRBY per book viewed.
/// So a read, even an L1 hit, costs Redis nothing, and the counts are lossy by at most one interval: the views counted
/// since the last flush are lost if the process dies (a clean stop flushes them), and views whose flush fails because
/// Redis is unavailable are dropped (one warning per outage), never retried into a recovering server.
/// </remarks>
public sealed partial class BookViews(IRedisService redis, ILogger<BookViews> logger)
{
    public static readonly string Key = CacheKeyBuilder.ForName("views", "books");

    /// <summary>The value of a counter the flusher is taking out of the table (it was idle for a whole interval).</summary>
    private const long Retired = long.MinValue;

    private static readonly Func<int, StrongBox<long>> NewCounter = static _ => new StrongBox<long>();

    /// <summary>Views counted and not yet sent, per book; a book idle for a whole interval leaves the table.</summary>
    private readonly ConcurrentDictionary<int, StrongBox<long>> _pending = new();

    private bool _dropping;

    /// <summary>Counts one view of a book that was found. Lock-free; no Redis call and no allocation once the book has a counter.</summary>
    public void Count(int bookId)
    {
        var counter = _pending.GetOrAdd(bookId, NewCounter);
        while (true)
        {
            var views = Volatile.Read(ref counter.Value);
            if (views == Retired)
            {
                // The flusher is removing this idle counter: put a new one in its place with this view in it.
                var fresh = new StrongBox<long>(1);
                if (_pending.TryUpdate(bookId, fresh, counter) || _pending.TryAdd(bookId, fresh))
                {
                    return;
                }

                counter = _pending.GetOrAdd(bookId, NewCounter);
                continue;
            }

            if (Interlocked.CompareExchange(ref counter.Value, views + 1, views) == views)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sends the views counted since the last flush in one batch. Returns how many books' counts reached Redis; when
    /// Redis fails they are dropped and the first failure of an outage is logged as a warning.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, long>>? batch = null;
        foreach (var (bookId, counter) in _pending)
        {
            var views = Interlocked.Exchange(ref counter.Value, 0);
            if (views > 0)
            {
                (batch ??= []).Add(new(Member(bookId), views));
            }
            else if (Interlocked.CompareExchange(ref counter.Value, Retired, 0) == 0)
            {
                // Idle for a whole interval: out of the table, so it stays as small as the set of books being read.
                _pending.TryRemove(new KeyValuePair<int, StrongBox<long>>(bookId, counter));
            }
        }

        if (batch is null)
        {
            return 0;
        }

        if (await redis.IncrementScoresAsync(Key, batch, cancellationToken))
        {
            if (_dropping)
            {
                _dropping = false;
                LogCountingResumed();
            }

            return batch.Count;
        }

        var dropped = batch.Sum(view => view.Value);
        if (!_dropping)
        {
            _dropping = true;
            LogViewsDropped(dropped, batch.Count);
        }
        else
        {
            LogMoreViewsDropped(dropped, batch.Count);
        }

        return 0;
    }

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

    private static string Member(int bookId) => bookId.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Book views are not being counted: Redis refused a batch of {Views} views of {Books} books, which were dropped. Further batches are dropped without a warning until Redis answers again")]
    private partial void LogViewsDropped(long views, int books);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped {Views} views of {Books} books: Redis is still unavailable")]
    private partial void LogMoreViewsDropped(long views, int books);

    [LoggerMessage(Level = LogLevel.Information, Message = "Book views are counted again: Redis took a batch")]
    private partial void LogCountingResumed();
}
