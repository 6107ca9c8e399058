using Microsoft.Extensions.DependencyInjection;

namespace Bookstore.Tests.Unit.FunctionCaching;

/// <summary>Everything that cannot be cached correctly fails in AddCachedResults, before any service is resolved.</summary>
[Trait("Category", "Unit")]
public sealed class CachedResultsRegistrationTests
{
    private const string Namespace = "Bookstore.Tests.Unit.FunctionCaching.";

    [Fact]
    public void RejectsATaskWithoutAResult() =>
        AssertRejected(s => s.AddCachedResults<IReturnsTask, RejectedServices>(), $"{Namespace}IReturnsTask.RefreshAsync", "System.Threading.Tasks.Task,", "Task<T>");

    [Fact]
    public void RejectsAVoidMethod() =>
        AssertRejected(s => s.AddCachedResults<IReturnsVoid, RejectedServices>(), $"{Namespace}IReturnsVoid.Refresh", "System.Void");

    [Fact]
    public void RejectsASynchronousResult() =>
        AssertRejected(s => s.AddCachedResults<IReturnsBook, RejectedServices>(), $"{Namespace}IReturnsBook.GetBook", "Bookstore.Catalog.Contracts.Book");

    [Fact]
    public void RejectsAClassArgument() =>
        AssertRejected(s => s.AddCachedResults<ITakesClass, RejectedServices>(), $"{Namespace}ITakesClass.SearchAsync", "'filter'", $"{Namespace}BookFilter", "Keyable types");

    [Fact]
    public void RejectsAnObjectArgument() =>
        AssertRejected(s => s.AddCachedResults<ITakesObject, RejectedServices>(), $"{Namespace}ITakesObject.LookupAsync", "'key'", "System.Object");

    [Fact]
    public void RejectsADelegateArgument() =>
        AssertRejected(s => s.AddCachedResults<ITakesDelegate, RejectedServices>(), $"{Namespace}ITakesDelegate.ComputeAsync", "'compute'", "System.Func`1<System.Int32>");

    [Fact]
    public void RejectsAStructWithoutACanonicalForm() =>
        AssertRejected(
            s => s.AddCachedResults<ITakesStruct, RejectedServices>(),
            $"{Namespace}ITakesStruct.CountInRangeAsync",
            "'range'",
            "System.Collections.Generic.KeyValuePair`2<System.Int32,System.Int32>");

    [Fact]
    public void RejectsAListOfClasses() =>
        AssertRejected(
            s => s.AddCachedResults<ITakesListOfClass, RejectedServices>(),
            $"{Namespace}ITakesListOfClass.CountAsync",
            "'filters'",
            $"System.Collections.Generic.IReadOnlyList`1<{Namespace}BookFilter>");

    [Fact]
    public void RejectsAnOutParameter() =>
        AssertRejected(s => s.AddCachedResults<ITakesOut, RejectedServices>(), $"{Namespace}ITakesOut.ParseAsync", "'value'", "by reference");

    [Fact]
    public void RejectsAGenericCachedMethod() =>
        AssertRejected(s => s.AddCachedResults<IHasGenericCachedMethod, RejectedServices>(), $"{Namespace}IHasGenericCachedMethod.GetAsync", "generic");

    [Fact]
    public void RejectsTwoCancellationTokens() =>
        AssertRejected(s => s.AddCachedResults<ITakesTwoTokens, RejectedServices>(), $"{Namespace}ITakesTwoTokens.GetAsync", "'second'", "CancellationToken");

    [Fact]
    public void RejectsAUserTagOnANonIntegerParameter() =>
        AssertRejected(s => s.AddCachedResults<ITagsAUserName, RejectedServices>(), $"{Namespace}ITagsAUserName.GetAsync", "'userName'", "System.String", "integer");

    [Fact]
    public void RejectsATagNameOutsideTheKeyAlphabet() =>
        AssertRejected(s => s.AddCachedResults<IHasUpperCaseTag, RejectedServices>(), $"{Namespace}IHasUpperCaseTag.GetAsync", "'User'");

    [Fact]
    public void RejectsAKeyPrefixOutsideTheKeyAlphabet() =>
        AssertRejected(s => s.AddCachedResults<IHasColonInPrefix, RejectedServices>(), $"{Namespace}IHasColonInPrefix.GetAsync", "'books:v1'");

    [Fact]
    public void RejectsAServiceTypeThatIsNotAnInterface() =>
        AssertRejected(s => s.AddCachedResults<BookQueries, BookQueries>(), $"{Namespace}BookQueries", "interface");

    [Fact]
    public void RejectedRegistrationAddsNoService()
    {
        var services = new ServiceCollection();

        Assert.Throws<InvalidOperationException>(() => services.AddCachedResults<ITakesClass, RejectedServices>());

        Assert.Empty(services);
    }

    [Fact]
    public void ImplementationIsNotResolvableUndecorated()
    {
        using var provider = new ServiceCollection()
            .AddSingleton<Caching.Typed.ICacheService>(new RecordingCacheService())
            .AddSingleton(new CallLog())
            .AddCachedResults<IBookQueries, BookQueries>(ServiceLifetime.Singleton)
            .BuildServiceProvider();

        Assert.Null(provider.GetService<BookQueries>());
        Assert.IsNotType<BookQueries>(provider.GetRequiredService<IBookQueries>());
    }

    internal static void AssertRejected(Action<IServiceCollection> register, params string[] expectedInMessage)
    {
        var error = Assert.Throws<InvalidOperationException>(() => register(new ServiceCollection()));

        foreach (var expected in expectedInMessage)
        {
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }
}
