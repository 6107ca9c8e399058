using Xunit.Sdk;
using Xunit.v3;

namespace Bookstore.Tests.Support;

/// <summary>
/// Runs a class's tests in the order their methods are declared instead of xunit's shuffled order: for a class whose
/// tests share one expensive fixture and whose first test must find it untouched.
/// </summary>
public sealed class DeclarationOrderer : ITestCaseOrderer
{
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase =>
        [.. testCases.OrderBy(testCase => testCase is IXunitTestCase xunit ? xunit.TestMethod.Method.MetadataToken : int.MaxValue)];
}
