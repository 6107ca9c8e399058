using Bookstore.Api.Problems;
using Bookstore.Api.Security;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Cache administration: what cache types exist and a type-wide flush that reaches every replica's L1.</summary>
public static class CacheAdminApi
{
    public static IEndpointRouteBuilder MapCacheAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/cache").WithTags("Admin").RequireAdminKey();
        group.MapGet("/types", ListTypes)
            .WithName("ListCacheTypes")
            .WithSummary("The cache types, their strategy and whether they are Persistent (a flush of those needs ?confirm=true).");
        group.MapPost("/{type}/flush", FlushAsync)
            .WithName("FlushCacheType")
            .WithSummary("Drops every entry of one cache type in Redis and in every replica's memory cache. Persistent types need ?confirm=true.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public sealed record CacheTypeDescription(string Name, string Strategy, bool Persistent);

    public sealed record CacheFlushResult(string Type, bool Persistent, DateTimeOffset FlushedAt);

    internal static Ok<List<CacheTypeDescription>> ListTypes(CacheService cache) =>
        TypedResults.Ok(Enum.GetValues<CacheType>()
            .Select(t => cache.PolicyOf(t))
            .Select(p => new CacheTypeDescription(p.Type.ToString(), p.Strategy.ToString(), p.IsPersistent))
            .ToList());

    /// <summary>A <c>confirm</c> that is not a boolean is a 400 from the framework's binding (declared on the endpoint).</summary>
    internal static async Task<Results<Ok<CacheFlushResult>, NotFoundProblem, ConflictProblem>> FlushAsync(string type, bool? confirm, CacheService cache, TimeProvider time, CancellationToken cancellationToken)
    {
        // Names only: Enum.TryParse would also take "3" or "Books,Users".
        var name = Enum.GetNames<CacheType>().FirstOrDefault(n => string.Equals(n, type, StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            return new NotFoundProblem(
                "Unknown cache type", $"There is no cache type '{type}'. Known types: {string.Join(", ", Enum.GetNames<CacheType>())}.");
        }

        var policy = cache.PolicyOf(Enum.Parse<CacheType>(name));
        if (policy.IsPersistent && confirm != true)
        {
            return new ConflictProblem(
                "Persistent cache type",
                $"'{name}' is Persistent: its entries never expire and are not rebuilt by themselves. Repeat with ?confirm=true to flush it anyway.");
        }

        // The type's own FusionCache is cleared in L2 and, over the backplane, in every replica's L1 (Persistent keys are unlinked).
        await cache.ClearTypeAsync(policy.Type, cancellationToken);
        return TypedResults.Ok(new CacheFlushResult(name, policy.IsPersistent, time.GetUtcNow()));
    }
}
