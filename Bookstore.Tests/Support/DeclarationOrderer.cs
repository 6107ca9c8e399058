using Xunit.Sdk;
using Xunit.v3;

namespace Bookstore.Tests.Support;

/// <summary>
/// Runs a class's test methods in the order they are declared instead of xunit's unpredictable one: for a class whose
/// tests share one expensive fixture and whose first test must find it untouched. A test method orderer
/// (<c>[TestMethodOrderer]</c>): since xunit.v3 4 a test case orderer only orders the cases of one method.
/// </summary>
public sealed class DeclarationOrderer : ITestMethodOrderer
{
    public IReadOnlyCollection<TTestMethod?> OrderTestMethods<TTestMethod>(IReadOnlyCollection<TTestMethod?> testMethods)
        where TTestMethod : notnull, ITestMethod =>
        [.. testMethods.OrderBy(testMethod => testMethod is IXunitTestMethod xunit ? xunit.Method.MetadataToken : int.MaxValue)];
}
