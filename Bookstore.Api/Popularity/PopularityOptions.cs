using System.ComponentModel.DataAnnotations;

namespace Bookstore.Api.Popularity;

/// <summary>How live reader activity ranks books and readers for the cache warmer (section <c>Bookstore:Popularity</c>).</summary>
public sealed class PopularityOptions
{
    public const string SectionName = "Bookstore:Popularity";

    /// <summary>
    /// How many store ratings one view of a book in this store weighs: popularity = ratings count + ViewWeight × views.
    /// 1000 lets a few hundred views lift a mid-list goodbooks title (about 50k ratings) into the top 200 (about 250k),
    /// while a handful of views does not push out the classics. 0 ranks by ratings alone.
    /// </summary>
    [Range(0, 1_000_000)]
    public double ViewWeight { get; set; } = 1000;

    /// <summary>A reader counts as recently active for this many minutes after their last session or request.</summary>
    [Range(1, 30 * 24 * 60)]
    public int ActiveReaderWindowMinutes { get; set; } = 24 * 60;

    /// <summary>
    /// How often the views counted in this process are sent to Redis, as one batch (one ZINCRBY per book viewed). Views
    /// of the last interval are lost if the process dies; a longer interval means fewer Redis commands and a later ranking.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ViewFlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
