using Bookstore.Catalog.Contracts;
using Bookstore.Caching.FunctionCaching;
using Bookstore.Caching.Typed;

namespace Bookstore.Tests.Unit.FunctionCaching;

public sealed record BookFilter(string Query, int Page);

public interface IReturnsTask
{
    [CacheResult(CacheType.Books)]
    Task RefreshAsync(int bookId);
}

public interface IReturnsVoid
{
    [CacheResult(CacheType.Books)]
    void Refresh(int bookId);
}

public interface IReturnsBook
{
    [CacheResult(CacheType.Books)]
    Book GetBook(int bookId);
}

public interface ITakesClass
{
    [CacheResult(CacheType.BookLists)]
    Task<int> SearchAsync(int page, BookFilter filter);
}

public interface ITakesObject
{
    [CacheResult(CacheType.BookLists)]
    Task<int> LookupAsync(object key);
}

public interface ITakesDelegate
{
    [CacheResult(CacheType.Analytics)]
    Task<int> ComputeAsync(Func<int> compute);
}

public interface ITakesStruct
{
    [CacheResult(CacheType.BookLists)]
    Task<int> CountInRangeAsync(KeyValuePair<int, int> range);
}

public interface ITakesListOfClass
{
    [CacheResult(CacheType.BookLists)]
    Task<int> CountAsync(IReadOnlyList<BookFilter> filters);
}

public interface ITakesOut
{
    [CacheResult(CacheType.Books)]
    Task<int> ParseAsync(string text, out int value);
}

public interface IHasGenericCachedMethod
{
    [CacheResult(CacheType.Books)]
    Task<T> GetAsync<T>(int bookId);
}

public interface ITakesTwoTokens
{
    [CacheResult(CacheType.Books)]
    Task<int> GetAsync(int bookId, CancellationToken first, CancellationToken second);
}

public interface ITagsAUserName
{
    [CacheResult(CacheType.Users)]
    Task<int> GetAsync([CacheTag("user")] string userName);
}

public interface IHasUpperCaseTag
{
    [CacheResult(CacheType.Users)]
    Task<int> GetAsync([CacheTag("User")] int id);
}

public interface IHasColonInPrefix
{
    [CacheResult(CacheType.Books, KeyPrefix = "books:v1")]
    Task<int> GetAsync(int bookId);
}

/// <summary>Never called: registration must fail before anything is resolved.</summary>
public sealed class RejectedServices : IReturnsTask, IReturnsVoid, IReturnsBook, ITakesClass, ITakesObject, ITakesDelegate, ITakesStruct,
    ITakesListOfClass, ITakesOut, IHasGenericCachedMethod, ITakesTwoTokens, ITagsAUserName, IHasUpperCaseTag, IHasColonInPrefix
{
    Task IReturnsTask.RefreshAsync(int bookId) => throw new NotSupportedException();

    void IReturnsVoid.Refresh(int bookId) => throw new NotSupportedException();

    Book IReturnsBook.GetBook(int bookId) => throw new NotSupportedException();

    Task<int> ITakesClass.SearchAsync(int page, BookFilter filter) => throw new NotSupportedException();

    Task<int> ITakesObject.LookupAsync(object key) => throw new NotSupportedException();

    Task<int> ITakesDelegate.ComputeAsync(Func<int> compute) => throw new NotSupportedException();

    Task<int> ITakesStruct.CountInRangeAsync(KeyValuePair<int, int> range) => throw new NotSupportedException();

    Task<int> ITakesListOfClass.CountAsync(IReadOnlyList<BookFilter> filters) => throw new NotSupportedException();

    Task<int> ITakesOut.ParseAsync(string text, out int value) => throw new NotSupportedException();

    Task<T> IHasGenericCachedMethod.GetAsync<T>(int bookId) => throw new NotSupportedException();

    Task<int> ITakesTwoTokens.GetAsync(int bookId, CancellationToken first, CancellationToken second) => throw new NotSupportedException();

    Task<int> ITagsAUserName.GetAsync(string userName) => throw new NotSupportedException();

    Task<int> IHasUpperCaseTag.GetAsync(int id) => throw new NotSupportedException();

    Task<int> IHasColonInPrefix.GetAsync(int bookId) => throw new NotSupportedException();
}
