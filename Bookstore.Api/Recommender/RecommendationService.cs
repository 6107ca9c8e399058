using Bookstore.Api.Catalog;
using Bookstore.Catalog.Contracts;

namespace Bookstore.Api.Recommender;

/// <summary>
/// Scores the books a user has neither rated nor put in the cart: (a) by authors the user rated 4 or more, (b) liked
/// (4 or more) by users who liked the same books, (c) popularity, log(1 + ratings count × average rating). Ties go to
/// the lower book id, so the same data always gives the same list.
/// </summary>
public sealed class RecommendationService(ICatalogStore store, RecommendationComputations computations, TimeProvider time) : IRecommendationService
{
    /// <summary>The most rated books always considered, so a user with no likes still gets popular books.</summary>
    public const int PopularCandidates = 200;

    private const double AuthorWeight = 3.0;
    private const double PeerWeight = 2.0;
    private const double PopularityWeight = 0.5;

    public async Task<Recommendations?> GetUserRecommendationsAsync(int userId, int limit = 10)
    {
        // The proxy hands no token to a method without a CancellationToken parameter; the signature is the cached contract.
        var inputs = await store.GetRecommendationInputsAsync(userId, PopularCandidates, CancellationToken.None);
        computations.Increment();
        if (inputs is null)
        {
            return null;
        }

        var ranked = inputs.Candidates
            .Select(c => (c.BookId, Score: Score(c, inputs)))
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.BookId)
            .Take(limit)
            .Select(s => s.BookId)
            .ToList();
        return new Recommendations(userId, ranked, time.GetUtcNow());
    }

    internal static double Score(RecommendationCandidate candidate, RecommendationInputs inputs)
    {
        var byAuthor = candidate.AuthorIds.Sum(a => inputs.LikedAuthorIds.TryGetValue(a, out var liked) ? liked : 0);
        var byPeers = inputs.PeerLikes.TryGetValue(candidate.BookId, out var peers) ? peers : 0;
        var popularity = Math.Log(1 + (Math.Max(0, candidate.RatingsCount) * Math.Max(0, candidate.AverageRating)));
        return (AuthorWeight * byAuthor) + (PeerWeight * byPeers) + (PopularityWeight * popularity);
    }
}

/// <summary>How many times recommendations were computed (not served from the cache): evidence for tests and metrics.</summary>
public sealed class RecommendationComputations
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    internal void Increment() => Interlocked.Increment(ref _count);
}
