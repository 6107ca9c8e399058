using Bookstore.Worker.Warming;

namespace Microsoft.AspNetCore.Builder;

public static class WarmingApi
{
    /// <summary><c>GET /warming</c> (the warmer's state and last run) and <c>POST /warming/run</c> (the dashboard's "Warm cache now").</summary>
    public static IEndpointRouteBuilder MapWarmingApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/warming", (WarmerState state) => TypedResults.Ok(state.Current));
        app.MapPost("/warming/run", (CacheWarmer warmer) =>
        {
            warmer.RequestRun();
            return TypedResults.Accepted("/warming");
        });
        return app;
    }
}
