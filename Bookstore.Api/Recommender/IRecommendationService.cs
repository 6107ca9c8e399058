using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;

namespace Bookstore.Api.Recommender;

/// <summary>Books to recommend to a reader; results are cached per user and limit through <see cref="CacheResultAttribute"/>.</summary>
public interface IRecommendationService
{
    /// <summary>
    /// Up to <paramref name="limit"/> unread books, best first, or <see langword="null"/> when there is no such user.
    /// Tagged with the user (dropped by <see cref="ICacheService.InvalidateUserAsync"/>), with
    /// <see cref="RecommendationTags.For"/> (dropped alone when the cart or ratings change) and with every book in the
    /// list (dropped by <see cref="ICacheService.InvalidateBookAsync"/> of any of them).
    /// </summary>
    [CacheResult(CacheType.Recommendations)]
    [return: CacheTag("book", Member = nameof(Recommendations.BookIds))]
    Task<Recommendations?> GetUserRecommendationsAsync(
        [CacheTag("user")][CacheTag(RecommendationTags.UserTagName)] int userId, int limit = 10);
}

public static class RecommendationTags
{
    public const string UserTagName = "recommendations-user";

    /// <summary>Carried by every cached recommendation list of the user, whatever its limit.</summary>
    public static string For(int userId) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{UserTagName}:{userId}");
}
