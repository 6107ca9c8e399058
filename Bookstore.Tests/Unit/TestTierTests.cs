using System.Reflection;

namespace Bookstore.Tests.Unit;

/// <summary>A test class's tier is both its folder and its Category trait, so a filter on the trait runs exactly one folder.</summary>
[Trait("Category", "Unit")]
public sealed class TestTierTests
{
    [Fact]
    public void EveryTestClassCarriesTheCategoryOfItsFolder()
    {
        var testClasses = typeof(TestTierTests).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.IsDefined(typeof(FactAttribute), inherit: true)))
            .ToList();
        Assert.Contains(typeof(TestTierTests), testClasses);

        var mismatches = testClasses
            .Select(type => (
                Class: type.FullName,
                Folder: type.Namespace!["Bookstore.Tests.".Length..].Split('.')[0],
                Categories: type.GetCustomAttributes<TraitAttribute>().Where(t => t.Name == "Category").Select(t => t.Value).ToList()))
            .Where(c => c.Categories is not [var category] || category != c.Folder)
            .Select(c => $"{c.Class}: folder {c.Folder}, Category trait {string.Join(", ", c.Categories.DefaultIfEmpty("none"))}")
            .ToList();
        Assert.True(mismatches.Count == 0, "Test classes whose Category trait is not their folder:\n" + string.Join('\n', mismatches));
    }
}
