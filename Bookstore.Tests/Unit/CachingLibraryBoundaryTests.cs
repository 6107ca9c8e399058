using Bookstore.Caching.Typed;

namespace Bookstore.Tests.Unit;

/// <summary>Bookstore.Caching is reusable on its own: the bookstore's types live in the apps and Bookstore.Catalog.Contracts.</summary>
[Trait("Category", "Unit")]
public sealed class CachingLibraryBoundaryTests
{
    [Fact]
    public void TheCachingLibraryReferencesNoOtherBookstoreAssembly()
    {
        var references = typeof(CacheService).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain(references, name => name!.StartsWith("Bookstore.", StringComparison.Ordinal));
    }
}
