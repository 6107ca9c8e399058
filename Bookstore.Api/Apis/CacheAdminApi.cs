using Bookstore.Api.Security;
using Bookstore.Caching.Typed;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Cache administration: what cache types exist and a type-wide flush that reaches every replica's L1.</summary>
public static class CacheAdminApi
{
    public static IEndpointRouteBuilder MapCacheAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/cache").WithTags("Admin").RequireAuthorization(BookstoreAuth.AdminPolicy);
        group.MapGet("/types", ListTypes)
            .WithName("ListCacheTypes")
            .WithSummary("The cache types, their strategy and whether they are Persistent (a flush of those needs ?confirm=true).");
        group.MapPost("/{type}/flush", FlushAsync)
            .WithName("FlushCacheType")
            .WithSummary("Drops every entry of one cache type in Redis and in every replica's memory cache. Persistent types need ?confirm=true.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public sealed record CacheTypeDescription(string Name, string Strategy, bool Persistent);

    public sealed record CacheFlushResult(string Type, bool Persistent, DateTimeOffset FlushedAt);

    internal static IResult ListTypes(CacheService cache) =>
        TypedResults.Ok(Enum.GetValues<CacheType>()
            .Select(t => cache.PolicyOf(t))
            .Select(p => new CacheTypeDescription(p.Type.ToString(), p.Strategy.ToString(), p.IsPersistent))
            .ToList());

    internal static async Task<IResult> FlushAsync(string type, bool? confirm, CacheService cache, TimeProvider time, CancellationToken cancellationToken)
    {
        // Names only: Enum.TryParse would also take "3" or "Books,Users".
        var name = Enum.GetNames<CacheType>().FirstOrDefault(n => string.Equals(n, type, StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            return TypedResults.Problem(
                title: "Unknown cache type",
                detail: $"There is no cache type '{type}'. Known types: {string.Join(", ", Enum.GetNames<CacheType>())}.",
                statusCode: StatusCodes.Status404NotFound);
        }

        var policy = cache.PolicyOf(Enum.Parse<CacheType>(name));
        if (policy.IsPersistent && confirm != true)
        {
            return TypedResults.Problem(
                title: "Persistent cache type",
                detail: $"'{name}' is Persistent: its entries never expire and are not rebuilt by themselves. Repeat with ?confirm=true to flush it anyway.",
                statusCode: StatusCodes.Status409Conflict);
        }

        // The type's own FusionCache is cleared in L2 and, over the backplane, in every replica's L1 (Persistent keys are unlinked).
        await cache.ClearTypeAsync(policy.Type, cancellationToken);
        return TypedResults.Ok(new CacheFlushResult(name, policy.IsPersistent, time.GetUtcNow()));
    }
}
