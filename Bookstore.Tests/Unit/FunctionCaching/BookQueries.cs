using System.Collections.Concurrent;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>Lookups declared on a base interface, to show inherited methods are decorated too.</summary>
public interface IBookLookup
{
    [CacheResult(CacheType.Books)]
    Task<Book?> GetBookDetailsAsync(int bookId);
}

public interface IBookQueries : IBookLookup
{
    [CacheResult(CacheType.Recommendations)]
    Task<Recommendations> GetUserRecommendationsAsync(int userId, int limit = 10);

    /// <summary>Same arguments as <see cref="IBookLookup.GetBookDetailsAsync"/>: its entries must not be shared.</summary>
    [CacheResult(CacheType.Books)]
    Task<Book?> GetBookByLegacyIdAsync(int bookId);

    [CacheResult(CacheType.BookLists, KeyPrefix = "search")]
    ValueTask<IReadOnlyList<int>> SearchAsync(string? query, string? language, CancellationToken cancellationToken = default);

    [CacheResult(CacheType.BookLists)]
    Task<int> CountByAuthorsAsync(IReadOnlyList<string?>? authors, int[]? years);

    [CacheResult(CacheType.Cart)]
    Task<int> GetCartSizeAsync([CacheTag("user")] int ownerId, [CacheTag("store")] string storeCode);

    [CacheResult(CacheType.Recommendations)]
    Task<int> CountWishlistAsync([CacheTag("user")][CacheTag("wishlist-owner")] int ownerId);

    [CacheResult(CacheType.BookLists)]
    Task<int> CountOnShelfAsync([CacheTag("book")] int userId, [CacheTag("book")] IReadOnlyList<long> bookIds);

    [CacheResult(CacheType.Books)]
    Task<Book> GetBookOrThrowAsync(int bookId);

    Task<int> CountViewsAsync(int bookId);

    bool TryGetTitle(int bookId, out string? title);

    Task<T> EchoAsync<T>(T value);
}

/// <summary>What the implementation was asked, shared by the container so tests can see which calls reached it.</summary>
public sealed class CallLog
{
    private readonly ConcurrentQueue<string> _calls = new();

    public IReadOnlyList<string> Calls => [.. _calls];

    public CancellationToken LastToken { get; set; }

    public int Count(string method) => _calls.Count(c => c.StartsWith(method + "(", StringComparison.Ordinal));

    public void Add(string call) => _calls.Enqueue(call);
}

public sealed class BookQueries(CallLog log) : IBookQueries
{
    public Task<Book?> GetBookDetailsAsync(int bookId)
    {
        log.Add($"GetBookDetailsAsync({bookId})");
        return Task.FromResult<Book?>(bookId > 0 ? new Book(bookId, $"Book {bookId}", ["Author"], 4.2, 10) : null);
    }

    public Task<Recommendations> GetUserRecommendationsAsync(int userId, int limit = 10)
    {
        log.Add($"GetUserRecommendationsAsync({userId},{limit})");
        return Task.FromResult(new Recommendations(userId, [.. Enumerable.Range(1, limit)], DateTimeOffset.UnixEpoch));
    }

    public Task<Book?> GetBookByLegacyIdAsync(int bookId)
    {
        log.Add($"GetBookByLegacyIdAsync({bookId})");
        return Task.FromResult<Book?>(new Book(bookId, "Legacy", ["Author"], 3.0, 1));
    }

    public async ValueTask<IReadOnlyList<int>> SearchAsync(string? query, string? language, CancellationToken cancellationToken = default)
    {
        log.Add($"SearchAsync({query},{language})");
        log.LastToken = cancellationToken;
        await Task.Yield();
        return [query?.Length ?? -1, language?.Length ?? -1];
    }

    public Task<int> CountByAuthorsAsync(IReadOnlyList<string?>? authors, int[]? years)
    {
        log.Add($"CountByAuthorsAsync({authors?.Count},{years?.Length})");
        return Task.FromResult((authors?.Count ?? 0) + (years?.Length ?? 0));
    }

    public Task<int> CountWishlistAsync(int ownerId)
    {
        log.Add($"CountWishlistAsync({ownerId})");
        return Task.FromResult(ownerId);
    }

    public Task<int> GetCartSizeAsync(int ownerId, string storeCode)
    {
        log.Add($"GetCartSizeAsync({ownerId},{storeCode})");
        return Task.FromResult(3);
    }

    public Task<int> CountOnShelfAsync(int userId, IReadOnlyList<long> bookIds)
    {
        log.Add($"CountOnShelfAsync({userId})");
        return Task.FromResult(bookIds.Count);
    }

    public async Task<Book> GetBookOrThrowAsync(int bookId)
    {
        log.Add($"GetBookOrThrowAsync({bookId})");
        await Task.Yield();
        throw new KeyNotFoundException($"No book {bookId}.");
    }

    public Task<int> CountViewsAsync(int bookId)
    {
        log.Add($"CountViewsAsync({bookId})");
        return Task.FromResult(log.Count("CountViewsAsync"));
    }

    public bool TryGetTitle(int bookId, out string? title)
    {
        log.Add($"TryGetTitle({bookId})");
        title = bookId > 0 ? $"Book {bookId}" : null;
        return title is not null;
    }

    public Task<T> EchoAsync<T>(T value)
    {
        log.Add($"EchoAsync({value})");
        return Task.FromResult(value);
    }
}

/// <summary>One parameter of every keyable type, for the golden key of the argument format.</summary>
public interface IKeyableArguments
{
    [CacheResult(CacheType.Analytics)]
    Task<int> EveryTypeAsync(
        bool flag,
        char letter,
        sbyte tiny,
        byte octet,
        short small,
        ushort unsignedSmall,
        int number,
        uint unsignedNumber,
        long big,
        ulong unsignedBig,
        double real,
        float single,
        decimal price,
        Guid id,
        DateTime at,
        DateTimeOffset when,
        DateOnly day,
        TimeOnly time,
        TimeSpan duration,
        DayOfWeek weekday,
        int? missing,
        string? text,
        int[]? numbers,
        IReadOnlyList<DateOnly?> days);

    [CacheResult(CacheType.Analytics)]
    Task<int> PairAsync(string? first, string? second);

    [CacheResult(CacheType.Analytics)]
    Task<int> InstantAsync(DateTimeOffset when, DateTime at);

    [CacheResult(CacheType.Analytics)]
    Task<int> ManyAsync(params string[] values);
}

public sealed class KeyableArguments(CallLog log) : IKeyableArguments
{
    public Task<int> EveryTypeAsync(
        bool flag, char letter, sbyte tiny, byte octet, short small, ushort unsignedSmall, int number, uint unsignedNumber, long big,
        ulong unsignedBig, double real, float single, decimal price, Guid id, DateTime at, DateTimeOffset when, DateOnly day,
        TimeOnly time, TimeSpan duration, DayOfWeek weekday, int? missing, string? text, int[]? numbers, IReadOnlyList<DateOnly?> days)
    {
        log.Add("EveryTypeAsync()");
        return Task.FromResult(1);
    }

    public Task<int> PairAsync(string? first, string? second)
    {
        log.Add($"PairAsync({first},{second})");
        return Task.FromResult(2);
    }

    public Task<int> InstantAsync(DateTimeOffset when, DateTime at)
    {
        log.Add($"InstantAsync({when:O},{at:O})");
        return Task.FromResult(3);
    }

    public Task<int> ManyAsync(params string[] values)
    {
        log.Add($"ManyAsync({values.Length})");
        return Task.FromResult(values.Length);
    }
}
