using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>Naming a cached call's entry without making it: the id and tags must be exactly those the decorated call uses.</summary>
[Trait("Category", "Unit")]
public sealed class CachedResultEntriesTests : IDisposable
{
    private readonly FunctionCachingHost _host = new();
    private readonly ServiceProvider _provider = new ServiceCollection()
        .AddSingleton<ICacheService>(new RecordingCacheService())
        .AddSingleton(new CallLog())
        .AddCachedResults<IBookQueries, BookQueries>()
        .BuildServiceProvider();

    private CachedResultEntries<IBookQueries> Entries => _provider.GetRequiredService<CachedResultEntries<IBookQueries>>();

    public void Dispose()
    {
        _provider.Dispose();
        _host.Dispose();
    }

    [Fact]
    public async Task DescribesTheEntryTheDecoratedCallReadsAndWrites()
    {
        await _host.Books.GetUserRecommendationsAsync(7, 12);
        var call = _host.Cache.LastCall;

        var entry = Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), 7, 12);

        Assert.Equal(CacheType.Recommendations, entry.Type);
        Assert.Equal(call.Id, entry.Id);
        Assert.Equal(call.Tags, entry.Tags);
        Assert.Contains(CacheTags.User(7), entry.Tags);
    }

    [Fact]
    public async Task DescribesMethodsOfBaseInterfacesAndRepeatedTags()
    {
        await _host.Books.GetBookDetailsAsync(42);
        Assert.Equal(_host.LastId, Entries.Describe(nameof(IBookLookup.GetBookDetailsAsync), 42).Id);

        await _host.Books.CountWishlistAsync(5);
        Assert.Equal(["user:5", "wishlist-owner:5"], Entries.Describe(nameof(IBookQueries.CountWishlistAsync), 5).Tags);
    }

    [Fact]
    public void DifferentArgumentsGiveDifferentEntries() =>
        Assert.NotEqual(
            Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), 7, 10).Id,
            Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), 7, 11).Id);

    [Theory]
    [InlineData("NoSuchMethod", "has no method 'NoSuchMethod'")]
    [InlineData(nameof(IBookQueries.CountViewsAsync), "has no [CacheResult]")]
    public void RefusesMethodsWithoutACachedResult(string method, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Entries.Describe(method, 1));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesArgumentsThatDoNotFitTheParameters()
    {
        var count = Assert.Throws<ArgumentException>(() => Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), 7));
        Assert.Contains("takes 2 arguments and 1 were given", count.Message, StringComparison.Ordinal);

        var type = Assert.Throws<ArgumentException>(() => Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), 7L, 10));
        Assert.Contains("must be a System.Int32", type.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => Entries.Describe(nameof(IBookQueries.GetUserRecommendationsAsync), null, 10));
        Assert.Contains("must be a System.Int32", missing.Message, StringComparison.Ordinal);
    }
}
