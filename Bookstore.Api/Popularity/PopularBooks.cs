using Bookstore.Api.Catalog;
using Bookstore.Catalog.Contracts;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.Popularity;

/// <summary>
/// The books the warmer should warm: ranked by <c>popularity = ratings count + ViewWeight × views</c>, where views are
/// the live counts of <see cref="BookViews"/>. Ties go to the lower id, as in the store's own popularity order.
/// </summary>
/// <remarks>
/// Candidates are the <c>limit</c> most rated books of the store and the <c>limit</c> most viewed books in Redis, each
/// scored exactly (the views of the most rated come from one ZMSCORE). A book in neither list is left out although it
/// may score up to the N-th ratings count + ViewWeight × the N-th view count: the price of never scanning the whole
/// catalog or the whole view set, and it only matters for books at the tail of both lists. When Redis is unavailable
/// the ranking is the store's.
/// </remarks>
public sealed class PopularBooks(ICatalogStore store, BookViews views, IOptions<PopularityOptions> options)
{
    private readonly double _viewWeight = options.Value.ViewWeight;

    public static double Popularity(Book book, long views, double viewWeight) => book.RatingsCount + (viewWeight * views);

    /// <summary>The <paramref name="limit"/> most popular books, whole, most popular first.</summary>
    public async Task<IReadOnlyList<Book>> GetMostPopularAsync(int limit, CancellationToken cancellationToken)
    {
        var rated = await store.GetMostPopularBooksAsync(limit, cancellationToken);
        var viewed = _viewWeight > 0 ? await views.GetMostViewedAsync(limit, cancellationToken) : null;
        if (viewed is null || viewed.Count == 0)
        {
            return rated;
        }

        var counts = new Dictionary<int, long>(viewed);
        var notInViewed = rated.Where(b => !counts.ContainsKey(b.Id)).Select(b => b.Id).ToList();
        if (await views.GetViewsAsync(notInViewed, cancellationToken) is { } theirViews)
        {
            for (var i = 0; i < notInViewed.Count; i++)
            {
                counts[notInViewed[i]] = theirViews[i];
            }
        }

        var ratedIds = rated.Select(b => b.Id).ToHashSet();
        var onlyViewed = await store.GetBooksAsync([.. viewed.Keys.Where(id => !ratedIds.Contains(id))], cancellationToken);
        return
        [
            .. rated.Concat(onlyViewed)
                .OrderByDescending(b => Popularity(b, counts.GetValueOrDefault(b.Id), _viewWeight))
                .ThenBy(b => b.Id)
                .Take(limit),
        ];
    }
}
