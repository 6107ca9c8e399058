using Bookstore.Caching.Typed;

namespace Bookstore.Tests.Unit.FunctionCaching;

[Trait("Category", "Unit")]
public sealed class CachedResultsDecoratorTests : IDisposable
{
    private readonly FunctionCachingHost _host = new();

    private CancellationToken TestToken => TestContext.Current.CancellationToken;

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task SecondCallWithTheSameArgumentsDoesNotReachTheImplementation()
    {
        var first = await _host.Books.GetBookDetailsAsync(42);
        var second = await _host.Books.GetBookDetailsAsync(42);

        Assert.Equal(1, _host.Log.Count("GetBookDetailsAsync"));
        Assert.Same(first, second);
        Assert.Equal("Book 42", second!.Title);
        Assert.Equal(2, _host.Cache.Calls.Count);
    }

    [Fact]
    public async Task DifferentArgumentsReachTheImplementation()
    {
        await _host.Books.GetUserRecommendationsAsync(7);
        await _host.Books.GetUserRecommendationsAsync(7, limit: 5);
        await _host.Books.GetUserRecommendationsAsync(8);
        await _host.Books.GetUserRecommendationsAsync(7);

        Assert.Equal(["GetUserRecommendationsAsync(7,10)", "GetUserRecommendationsAsync(7,5)", "GetUserRecommendationsAsync(8,10)"], _host.Log.Calls);
        Assert.Equal(3, _host.Cache.Calls.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public async Task EntriesGoToTheCacheTypeOfTheAttribute()
    {
        await _host.Books.GetBookDetailsAsync(1);
        await _host.Books.GetUserRecommendationsAsync(1);
        await _host.Books.SearchAsync("dune", "en", TestToken);

        Assert.Equal([CacheType.Books, CacheType.Recommendations, CacheType.BookLists], _host.Cache.Calls.Select(c => c.Type));
    }

    [Fact]
    public async Task ValueTaskResultsAreCached()
    {
        var first = await _host.Books.SearchAsync("dune", null, TestToken);
        var second = await _host.Books.SearchAsync("dune", null, TestToken);

        Assert.Equal([4, -1], second);
        Assert.Same(first, second);
        Assert.Equal(1, _host.Log.Count("SearchAsync"));
    }

    [Fact]
    public async Task MethodsWithoutCacheResultPassThroughUncached()
    {
        Assert.Equal(1, await _host.Books.CountViewsAsync(5));
        Assert.Equal(2, await _host.Books.CountViewsAsync(5));

        Assert.True(_host.Books.TryGetTitle(3, out var title));
        Assert.Equal("Book 3", title);
        Assert.False(_host.Books.TryGetTitle(0, out var none));
        Assert.Null(none);

        Assert.Equal("echo", await _host.Books.EchoAsync("echo"));
        Assert.Equal(12, await _host.Books.EchoAsync(12));

        Assert.Empty(_host.Cache.Calls);
        Assert.Equal(6, _host.Log.Calls.Count);
    }

    [Fact]
    public async Task CancellationTokenIsNotPartOfTheKeyAndReachesTheCacheAndTheImplementation()
    {
        using var first = CancellationTokenSource.CreateLinkedTokenSource(TestToken);
        using var second = CancellationTokenSource.CreateLinkedTokenSource(TestToken);

        await _host.Books.SearchAsync("dune", "en", first.Token);
        await _host.Books.SearchAsync("dune", "en", second.Token);

        Assert.Equal(1, _host.Log.Count("SearchAsync"));
        Assert.Equal(_host.Cache.Calls[0].Id, _host.Cache.Calls[1].Id);
        Assert.Equal([first.Token, second.Token], _host.Cache.Calls.Select(c => c.CancellationToken));

        // The test double hands the caller's token to the factory, as FusionCache does outside background completion.
        Assert.Equal(first.Token, _host.Log.LastToken);
    }

    [Fact]
    public async Task ExceptionsFromTheImplementationPropagateAndAreNotCached()
    {
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => _host.Books.GetBookOrThrowAsync(9));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _host.Books.GetBookOrThrowAsync(9));

        Assert.Equal("No book 9.", error.Message);
        Assert.Equal(2, _host.Log.Count("GetBookOrThrowAsync"));
    }

    [Fact]
    public async Task NullResultsAreCachedLikeAnyOther()
    {
        Assert.Null(await _host.Books.GetBookDetailsAsync(-1));
        Assert.Null(await _host.Books.GetBookDetailsAsync(-1));

        Assert.Equal(1, _host.Log.Count("GetBookDetailsAsync"));
    }

    [Fact]
    public async Task TagsFromCacheTagAttributesReachGetOrSet()
    {
        await _host.Books.GetCartSizeAsync(12, "north-1");

        Assert.Equal([CacheTags.User(12), "store:north-1"], _host.Cache.LastCall.Tags);
    }

    [Fact]
    public async Task ARepeatedCacheTagGivesTheParameterEveryTag()
    {
        await _host.Books.CountWishlistAsync(12);

        Assert.Equal([CacheTags.User(12), "wishlist-owner:12"], _host.Cache.LastCall.Tags);
    }

    [Fact]
    public async Task UserIdAndBookIdParametersAreTaggedByConvention()
    {
        await _host.Books.GetBookDetailsAsync(42);
        Assert.Equal([CacheTags.Book(42)], _host.Cache.LastCall.Tags);

        await _host.Books.GetUserRecommendationsAsync(7, 3);
        Assert.Equal([CacheTags.User(7)], _host.Cache.LastCall.Tags);
    }

    [Fact]
    public async Task ExplicitCacheTagReplacesTheConventionAndListsGiveOneTagPerElement()
    {
        await _host.Books.CountOnShelfAsync(5, [10, 11]);

        Assert.Equal([CacheTags.Book(5), CacheTags.Book(10), CacheTags.Book(11)], _host.Cache.LastCall.Tags);
    }

    [Fact]
    public async Task MethodsWithoutTagsPassNoTags()
    {
        await _host.Books.SearchAsync("dune", "en", TestToken);

        Assert.Empty(_host.Cache.LastCall.Tags);
    }

    [Fact]
    public async Task InvalidatingAUserTagMakesItsResultsComputeAgain()
    {
        await _host.Books.GetUserRecommendationsAsync(7);
        await _host.Books.GetUserRecommendationsAsync(8);

        await _host.Cache.RemoveByTagAsync(CacheTags.User(7), TestToken);
        await _host.Books.GetUserRecommendationsAsync(7);
        await _host.Books.GetUserRecommendationsAsync(8);

        Assert.Equal(["GetUserRecommendationsAsync(7,10)", "GetUserRecommendationsAsync(8,10)", "GetUserRecommendationsAsync(7,10)"], _host.Log.Calls);
    }
}
