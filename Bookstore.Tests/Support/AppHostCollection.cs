using Bookstore.Tests.EndToEnd;
using Bookstore.Tests.Integration;
using Bookstore.Tests.Support;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(AppHostCollection.StartedFirst))]

namespace Bookstore.Tests.Support;

/// <summary>
/// The run's longest lane, one class after another in this order: the shared local-mode AppHost's tests, the Production
/// (replicated) AppHost's, its alert rules, the cluster AppHost's, the AppHost process tests, then the read-path
/// benchmark's smoke run. Every AppHost of the Production profile or the cluster topology (5 to 6 Redis processes, 2 api
/// replicas, Prometheus, the dashboard) runs here, one at a time: two of them side by side on the 2 cores starved each
/// other (a CI run timed out in the alert rules test). It starts first; the
/// other collections run beside it (one collection per core, xunit.runner.json) and have mostly finished by the time
/// the benchmark, which keeps both cores busy, starts.
/// </summary>
[CollectionDefinition(Name)]
[TestClassOrderer(typeof(InLaneOrder))]
public sealed class AppHostCollection
{
    public const string Name = "AppHost";

    private static readonly Type[] Lane = [typeof(AppHostLocalModeTests), typeof(AppHostReplicatedTopologyTests), typeof(AppHostAlertRulesTests), typeof(AppHostClusterTests), typeof(AppHostProcessTests), typeof(ReadPathBenchmarkTests)];

    /// <summary>This collection first, then the others in the order xunit found them.</summary>
    public sealed class StartedFirst : ITestCollectionOrderer
    {
        public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
            where TTestCollection : ITestCollection =>
            [.. testCollections.OrderBy(collection => collection.TestCollectionDisplayName == Name ? 0 : 1)];
    }

    /// <summary>The classes of this collection in the order of <see cref="Lane"/>.</summary>
    public sealed class InLaneOrder : ITestClassOrderer
    {
        public IReadOnlyCollection<TTestClass?> OrderTestClasses<TTestClass>(IReadOnlyCollection<TTestClass?> testClasses)
            where TTestClass : ITestClass =>
            [.. testClasses.OrderBy(testClass => Array.FindIndex(Lane, type => type.FullName == testClass?.TestClassName))];
    }
}
