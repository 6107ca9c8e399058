using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;
using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Unit.FunctionCaching;

public interface IPolicyQueries
{
    /// <summary>The seed's <c>@cache_result(ttl=900, strategy=LRU, key_prefix="recommendations")</c>.</summary>
    [CacheResult(CacheType.Recommendations, TtlSeconds = 900, Strategy = CacheStrategy.Lru, KeyPrefix = "recommendations")]
    [return: CacheTag("book", Member = nameof(Recommendations.BookIds))]
    Task<Recommendations?> GetRecommendationsAsync(int userId);

    [CacheResult(CacheType.Books, TtlSeconds = 30)]
    Task<int> CountEditionsAsync(int bookId);

    [CacheResult(CacheType.BookLists, Strategy = CacheStrategy.Persistent)]
    Task<string> GetLanguageNameAsync(string code);

    [CacheResult(CacheType.Books)]
    Task<int> CountReviewsAsync(int bookId);
}

public sealed class PolicyQueries : IPolicyQueries
{
    public Task<Recommendations?> GetRecommendationsAsync(int userId) =>
        Task.FromResult(userId == 0 ? null : new Recommendations(userId, [3, 5, 8], DateTimeOffset.UnixEpoch));

    public Task<int> CountEditionsAsync(int bookId) => Task.FromResult(bookId * 2);

    public Task<string> GetLanguageNameAsync(string code) => Task.FromResult(code + "-name");

    public Task<int> CountReviewsAsync(int bookId) => Task.FromResult(bookId * 3);
}

public interface INegativeTtl
{
    [CacheResult(CacheType.Books, TtlSeconds = -1)]
    Task<int> GetAsync(int page);
}

public interface IPersistentWithTtl
{
    [CacheResult(CacheType.Books, TtlSeconds = 60, Strategy = CacheStrategy.Persistent)]
    Task<int> GetAsync(int page);
}

public interface IPersistentWithTags
{
    [CacheResult(CacheType.Books, Strategy = CacheStrategy.Persistent)]
    Task<int> GetAsync(int bookId);
}

public interface IMemberOnParameter
{
    [CacheResult(CacheType.Books)]
    Task<int> GetAsync([CacheTag("book", Member = "Id")] int page);
}

public interface IReturnTagWithoutMember
{
    [CacheResult(CacheType.Recommendations)]
    [return: CacheTag("book")]
    Task<Recommendations> GetAsync(int page);
}

public interface IReturnTagOnMissingMember
{
    [CacheResult(CacheType.Recommendations)]
    [return: CacheTag("book", Member = "Books")]
    Task<Recommendations> GetAsync(int page);
}

public interface IReturnBookTagOnText
{
    [CacheResult(CacheType.Books)]
    [return: CacheTag("book", Member = nameof(Book.Title))]
    Task<Book> GetAsync(int page);
}

/// <summary>The implementation of the rejected interfaces: registration fails before it could be called.</summary>
public sealed class RejectedPolicyServices : INegativeTtl, IPersistentWithTtl, IPersistentWithTags, IMemberOnParameter, IReturnTagWithoutMember,
    IReturnTagOnMissingMember, IReturnBookTagOnText
{
    Task<int> INegativeTtl.GetAsync(int page) => throw new NotSupportedException();

    Task<int> IPersistentWithTtl.GetAsync(int page) => throw new NotSupportedException();

    Task<int> IPersistentWithTags.GetAsync(int bookId) => throw new NotSupportedException();

    Task<int> IMemberOnParameter.GetAsync(int page) => throw new NotSupportedException();

    Task<Recommendations> IReturnTagWithoutMember.GetAsync(int page) => throw new NotSupportedException();

    Task<Recommendations> IReturnTagOnMissingMember.GetAsync(int page) => throw new NotSupportedException();

    Task<Book> IReturnBookTagOnText.GetAsync(int page) => throw new NotSupportedException();
}

/// <summary>[CacheResult]'s TtlSeconds and Strategy (the seed decorator's ttl and strategy) and tags read from the result.</summary>
[Trait("Category", "Unit")]
public sealed class CacheResultPolicyTests : IDisposable
{
    private const string Namespace = "Bookstore.Tests.Unit.FunctionCaching.";

    private readonly RecordingCacheService _cache = new();
    private readonly ServiceProvider _provider;

    public CacheResultPolicyTests() =>
        _provider = new ServiceCollection()
            .AddSingleton<ICacheService>(_cache)
            .AddCachedResults<IPolicyQueries, PolicyQueries>(ServiceLifetime.Singleton)
            .BuildServiceProvider();

    private IPolicyQueries Queries => _provider.GetRequiredService<IPolicyQueries>();

    public void Dispose() => _provider.Dispose();

    [Fact]
    public async Task MethodTtlAndStrategyReachTheCacheForThatMethodOnly()
    {
        await Queries.GetRecommendationsAsync(7);
        await Queries.CountEditionsAsync(4);
        await Queries.GetLanguageNameAsync("eng");
        await Queries.CountReviewsAsync(4);

        var recommendations = _cache.Calls[0];
        Assert.Equal(CacheType.Recommendations, recommendations.Type);
        Assert.StartsWith("recommendations.", recommendations.Id, StringComparison.Ordinal);
        Assert.Equal(new CacheEntryPolicy(CacheStrategy.Lru, TimeSpan.FromSeconds(900)), _cache.Policies[(recommendations.Type, recommendations.Id)]);
        Assert.Equal(new CacheEntryPolicy(null, TimeSpan.FromSeconds(30)), _cache.Policies[(CacheType.Books, _cache.Calls[1].Id)]);
        Assert.Equal(new CacheEntryPolicy(CacheStrategy.Persistent, null), _cache.Policies[(CacheType.BookLists, _cache.Calls[2].Id)]);

        // Without TtlSeconds or Strategy, the call goes the type's way: no entry policy at all.
        Assert.False(_cache.Policies.ContainsKey((CacheType.Books, _cache.Calls[3].Id)));
    }

    [Fact]
    public async Task ResultTagsNameEveryBookInTheResult()
    {
        await Queries.GetRecommendationsAsync(7);
        var id = _cache.LastCall.Id;

        Assert.Equal(["user:7", "book:3", "book:5", "book:8"], _cache.TagsOf(CacheType.Recommendations, id));
        await _cache.InvalidateBookAsync(5, TestContext.Current.CancellationToken);
        Assert.False((await _cache.GetAsync<Recommendations?>(CacheType.Recommendations, id, TestContext.Current.CancellationToken)).Found);
    }

    [Fact]
    public async Task ANullResultCarriesOnlyTheArgumentTags()
    {
        Assert.Null(await Queries.GetRecommendationsAsync(0));

        Assert.Equal(["user:0"], _cache.TagsOf(CacheType.Recommendations, _cache.LastCall.Id));
    }

    [Fact]
    public async Task DescribeResultGivesTheIdAndTagsTheDecoratedCallStores()
    {
        var entries = _provider.GetRequiredService<CachedResultEntries<IPolicyQueries>>();
        var result = await Queries.GetRecommendationsAsync(9);

        var entry = entries.DescribeResult(nameof(IPolicyQueries.GetRecommendationsAsync), result, 9);

        Assert.Equal(_cache.LastCall.Id, entry.Id);
        Assert.Equal(["user:9", "book:3", "book:5", "book:8"], entry.Tags);
        Assert.Equal(["user:9"], entries.Describe(nameof(IPolicyQueries.GetRecommendationsAsync), 9).Tags);
        Assert.Throws<ArgumentException>(() => entries.DescribeResult(nameof(IPolicyQueries.GetRecommendationsAsync), "not recommendations", 9));
    }

    [Fact]
    public void APersistentMethodRegistersItsTypeSoClearingTheTypeDeletesItsKeys()
    {
        var registered = _provider.GetServices<PersistentEntriesOf>();

        Assert.Equal([new PersistentEntriesOf(CacheType.BookLists)], registered);
    }

    [Fact]
    public void RejectsANegativeTtl() =>
        AssertRejected(s => s.AddCachedResults<INegativeTtl, RejectedPolicyServices>(), $"{Namespace}INegativeTtl.GetAsync", "TtlSeconds -1");

    [Fact]
    public void RejectsATtlOnAPersistentMethod() =>
        AssertRejected(s => s.AddCachedResults<IPersistentWithTtl, RejectedPolicyServices>(), $"{Namespace}IPersistentWithTtl.GetAsync", "TtlSeconds = 60", "Persistent");

    [Fact]
    public void RejectsTagsOnAPersistentMethod() =>
        AssertRejected(s => s.AddCachedResults<IPersistentWithTags, RejectedPolicyServices>(), $"{Namespace}IPersistentWithTags.GetAsync", "Persistent", "tags");

    [Fact]
    public void RejectsMemberOnAParameter() =>
        AssertRejected(s => s.AddCachedResults<IMemberOnParameter, RejectedPolicyServices>(), $"{Namespace}IMemberOnParameter.GetAsync", "'page'", "return value");

    [Fact]
    public void RejectsAReturnTagWithoutMember() =>
        AssertRejected(s => s.AddCachedResults<IReturnTagWithoutMember, RejectedPolicyServices>(), $"{Namespace}IReturnTagWithoutMember.GetAsync", "without Member");

    [Fact]
    public void RejectsAReturnTagOnAMissingProperty() =>
        AssertRejected(s => s.AddCachedResults<IReturnTagOnMissingMember, RejectedPolicyServices>(), $"{Namespace}IReturnTagOnMissingMember.GetAsync", "Member = \"Books\"", "Bookstore.Catalog.Contracts.Recommendations");

    [Fact]
    public void RejectsABookTagOnText() =>
        AssertRejected(s => s.AddCachedResults<IReturnBookTagOnText, RejectedPolicyServices>(), $"{Namespace}IReturnBookTagOnText.GetAsync", "Title", "integer");

    [Fact]
    public void AnEntryPolicyReplacesOnlyStrategyAndDurationAndCapsTheJitter()
    {
        var table = new CachePolicyTable();

        var short1 = table.For(CacheType.Books, new CacheEntryPolicy(Duration: TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(1), short1.Duration);
        Assert.Equal(CacheStrategy.Lru, short1.Strategy);
        Assert.Equal(TimeSpan.FromMilliseconds(100), short1.JitterMaxDuration);
        Assert.Equal(table[CacheType.Books].FailSafeMaxDuration, short1.FailSafeMaxDuration);

        var persistent = table.For(CacheType.Books, new CacheEntryPolicy(CacheStrategy.Persistent));
        Assert.True(persistent.IsPersistent);
        Assert.Null(persistent.Duration);

        var expiring = table.For(CacheType.Reference, new CacheEntryPolicy(CacheStrategy.Ttl));
        Assert.Equal(TimeSpan.FromHours(1), expiring.Duration);
        Assert.Equal(table[CacheType.Reference], table.For(CacheType.Reference, new CacheEntryPolicy()));
    }

    private static void AssertRejected(Action<IServiceCollection> register, params string[] expectedInMessage) =>
        CachedResultsRegistrationTests.AssertRejected(register, expectedInMessage);
}
