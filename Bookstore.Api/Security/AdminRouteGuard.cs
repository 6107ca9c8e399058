using Microsoft.AspNetCore.Authorization;

namespace Bookstore.Api.Security;

/// <summary>
/// Makes "everything under <c>/admin/</c> and <c>/catalog/</c> needs the admin key" hold by construction: once the
/// endpoints are mapped, one under those prefixes without the <see cref="BookstoreAuth.AdminPolicy"/> stops the API
/// at start, naming it, instead of serving it to anyone.
/// </summary>
public sealed class AdminRouteGuard : IStartupFilter
{
    public static readonly string[] AdminPrefixes = ["/admin", "/catalog"];

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        var unprotected = Unprotected(app.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints);
        if (unprotected.Count > 0)
        {
            throw new InvalidOperationException(
                $"These endpoints are under {string.Join(" or ", AdminPrefixes)} but do not require the '{BookstoreAuth.AdminPolicy}' policy: " +
                $"{string.Join(", ", unprotected)}. Add .RequireAuthorization(BookstoreAuth.AdminPolicy) to them or to their group.");
        }
    };

    public static IReadOnlyList<string> Unprotected(IEnumerable<Endpoint> endpoints) =>
    [
        .. endpoints.OfType<RouteEndpoint>()
            .Where(e => AdminPrefixes.Any(prefix => new PathString("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWithSegments(prefix)))
            .Where(e => !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == BookstoreAuth.AdminPolicy))
            .Select(e => e.DisplayName ?? e.RoutePattern.RawText ?? "?"),
    ];
}
