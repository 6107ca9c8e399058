namespace Bookstore.Tests.Support;

/// <summary>
/// Tests that assert how fast the API answers (a request under a second while Redis hangs) or how its readiness follows
/// Redis under the shipped 500 ms cache timeout run here, alone, after every parallel collection: on a 2-core machine
/// beside AppHost starts and the fuzz run, the in-process API shares its thread pool and cores with them, and a late
/// timer says nothing about the API (CI twice saw <c>CatalogApiOutageTests</c>' API take Redis as not answering right
/// after the test process had starved for 1–2 s beside a parallel collection).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuietMachineCollection
{
    public const string Name = "QuietMachine";
}
