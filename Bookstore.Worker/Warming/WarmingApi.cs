using Bookstore.ServiceDefaults.Security;
using Bookstore.Worker.Warming;

namespace Microsoft.AspNetCore.Builder;

public static class WarmingApi
{
    /// <summary>
    /// <c>GET /warming</c> (the warmer's state and last run, active reader ids included) and <c>POST /warming/run</c>
    /// (the dashboard's "Warm cache now"): operations only, so both take the admin key (<c>X-Api-Key</c>, the one the
    /// api takes); without it, 401 ProblemDetails.
    /// </summary>
    public static IEndpointRouteBuilder MapWarmingApi(this IEndpointRouteBuilder app)
    {
        var warming = app.MapGroup("/warming").RequireAuthorization(AdminKeyAuthentication.PolicyName);
        warming.MapGet(string.Empty, (WarmerState state) => TypedResults.Ok(state.Current));
        warming.MapPost("/run", (CacheWarmer warmer) =>
        {
            warmer.RequestRun();
            return TypedResults.Accepted("/warming");
        });
        return app;
    }
}
