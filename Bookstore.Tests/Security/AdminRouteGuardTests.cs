using Bookstore.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Bookstore.Tests.Security;

/// <summary>An endpoint under /admin or /catalog that forgot the admin policy stops the API at start (the API's own routes pass: every other test starts it).</summary>
[Trait("Category", "Security")]
public sealed class AdminRouteGuardTests
{
    [Fact]
    public void ReportsEveryAdminOrCatalogEndpointWithoutTheAdminPolicy()
    {
        Endpoint[] endpoints =
        [
            Route("/admin/cache/{type}/flush", "forgotten flush"),
            Route("catalog/everything", "forgotten bulk read"),
            Route("/admin/import", "import", new AuthorizeAttribute(BookstoreAuth.AdminPolicy)),
            Route("/catalog/popular-books", "reader policy is not enough", new AuthorizeAttribute(BookstoreAuth.ReaderPolicy)),
            Route("/administrator", "another word"),
            Route("/books/{id}", "public"),
        ];

        Assert.Equal(["forgotten flush", "forgotten bulk read", "reader policy is not enough"], AdminRouteGuard.Unprotected(endpoints));
    }

    private static RouteEndpoint Route(string pattern, string name, params object[] metadata) =>
        new(_ => Task.CompletedTask, RoutePatternFactory.Parse(pattern), 0, new EndpointMetadataCollection(metadata), name);
}
