using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Reader sessions, kept only in the cache (<c>Sessions</c>: 30 minutes, no L1, no fail-safe) and tagged with the user,
/// so <see cref="ICacheService.InvalidateUserAsync"/> ends them. The key is a server-made random token, never request text.
/// </summary>
public static class SessionsApi
{
    /// <summary>32 random bytes as lower-case hex: URL-safe and inside the cache id alphabet (which has no upper case).</summary>
    public const int TokenLength = 64;

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("/", CreateAsync).WithName("CreateSession")
            .WithSummary("Signs a user in: a session token (30 minutes) to send as Authorization: Bearer.")
            .Accepts<SessionRequest>("application/json");
        // Signing in stays open; reading or ending a session takes a session of the same reader (or the admin key).
        sessions.MapGet("/{token}", GetAsync).WithName("GetSession").WithSummary("The session's user and start.").RequireSessionOwner();
        sessions.MapDelete("/{token}", EndAsync).WithName("EndSession").WithSummary("Ends the session (signs out).").RequireSessionOwner();
        return app;
    }

    internal static async Task<Results<Created<SessionCreated>, RequestBodyProblem, NotFoundProblem, ValidationProblem>> CreateAsync(
        HttpContext context, CacheService cache, ICatalogStore store, ReaderActivity activity, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await UsersApi.ReadJsonAsync(context.Request, SessionsApiJsonContext.Default.SessionRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.UserId is not > 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["userId is required: an integer from 1."] });
        }

        var userId = body.UserId.Value;
        if (await store.GetUserAsync(userId, cancellationToken) is null)
        {
            return UsersApi.UserNotFound(userId);
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TokenLength / 2));
        var session = new ReaderSession(userId, time.GetUtcNow());
        await cache.SetAsync(CacheType.Sessions, session, token, [CacheTags.User(userId)], cancellationToken);
        activity.Record(userId);
        return TypedResults.Created($"/sessions/{token}", new SessionCreated(token, session.UserId, session.CreatedAt));
    }

    internal static async Task<Results<Ok<ReaderSession>, NotFoundProblem>> GetAsync(string token, CacheService cache, CancellationToken cancellationToken)
    {
        if (!IsWellFormed(token))
        {
            return NotFound();
        }

        var lookup = await cache.GetAsync<ReaderSession>(CacheType.Sessions, token, cancellationToken);
        return lookup.Found && lookup.Value is { } session ? TypedResults.Ok(session) : NotFound();
    }

    internal static async Task<Results<NoContent, NotFoundProblem>> EndAsync(string token, CacheService cache, CancellationToken cancellationToken)
    {
        if (!IsWellFormed(token))
        {
            return NotFound();
        }

        var lookup = await cache.GetAsync<ReaderSession>(CacheType.Sessions, token, cancellationToken);
        if (!lookup.Found)
        {
            return NotFound();
        }

        await cache.RemoveAsync(CacheType.Sessions, token, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Exactly what <see cref="CreateAsync"/> makes; anything else cannot name a session and never reaches Redis.</summary>
    internal static bool IsWellFormed(string? token) =>
        token is { Length: TokenLength } && token.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    // The same answer for a malformed, expired and ended token: a caller learns nothing about which it was.
    private static NotFoundProblem NotFound() =>
        new("Session not found", "No active session has this token; sign in again with POST /sessions.");

    public sealed class SessionRequest
    {
        public int? UserId { get; set; }
    }

    public sealed record SessionCreated(string Token, int UserId, DateTimeOffset CreatedAt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SessionsApi.SessionRequest))]
internal sealed partial class SessionsApiJsonContext : JsonSerializerContext;
