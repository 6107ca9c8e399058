using Bookstore.Api.Recommender;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class RecommendationExtensions
{
    /// <summary>The recommendation service, its results cached per user and limit (<c>Recommendations</c> policy).</summary>
    public static IHostApplicationBuilder AddRecommendations(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RecommendationComputations>();
        builder.Services.AddCachedResults<IRecommendationService, RecommendationService>();
        return builder;
    }
}
