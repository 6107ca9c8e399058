using Bookstore.Api.Popularity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class PopularityExtensions
{
    /// <summary>Live view counts per book, reader activity and the popularity ranking the cache warmer reads (<c>Bookstore:Popularity</c>).</summary>
    public static IHostApplicationBuilder AddPopularity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PopularityOptions>().BindConfiguration(PopularityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BookViews>();
        builder.Services.AddHostedService<BookViewsFlusher>();
        builder.Services.AddSingleton<ReaderActivity>();
        builder.Services.AddSingleton<PopularBooks>();
        return builder;
    }
}
