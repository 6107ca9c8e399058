using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.RateLimiting;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Bookstore.Caching.Typed;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Reader sessions, kept only in the cache (<c>Sessions</c>: 30 minutes, no L1, no fail-safe) and tagged with the user,
/// so <see cref="ICacheService.InvalidateUserAsync"/> ends them. The key is a server-made random token, never request text.
/// </summary>
public static class SessionsApi
{
    /// <summary>32 random bytes as lower-case hex: URL-safe and inside the cache id alphabet (which has no upper case).</summary>
    public const int TokenLength = 64;

    /// <summary>Longer passwords are refused before any hashing (no one types more).</summary>
    public const int MaxPasswordLength = 256;

    private const int MaxEmailLength = 320;

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/sessions").WithTags("Sessions");
        sessions.MapPost("/", CreateAsync).WithName("CreateSession")
            .WithSummary("Signs a reader in with their user id (or e-mail address) and password: a session token (30 minutes) to send as Authorization: Bearer.")
            .Accepts<SessionRequest>("application/json")
            .RequireSignInRateLimit();
        // Signing in takes the reader's password in the body; reading or ending a session takes a session of the same reader (or the admin key).
        sessions.MapGet("/{token}", GetAsync).WithName("GetSession").WithSummary("The session's user and start.").RequireSessionOwner();
        sessions.MapDelete("/{token}", EndAsync).WithName("EndSession").WithSummary("Ends the session (signs out).").RequireSessionOwner();
        return app;
    }

    internal static async Task<Results<Created<SessionCreated>, RequestBodyProblem, UnauthorizedProblem, TooManyRequestsProblem, ValidationProblem>> CreateAsync(
        HttpContext context, CacheService cache, ICatalogStore store, ReaderPasswords passwords, SignInThrottle throttle, ReaderActivity activity,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await UsersApi.ReadJsonAsync(context.Request, SessionsApiJsonContext.Default.SessionRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (Validate(body!) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var password = body!.Password!;
        var reader = body.UserId is { } id
            ? await store.FindCredentialsAsync(id, cancellationToken)
            : await store.FindCredentialsByEmailAsync(body.Email!, cancellationToken);

        // Counted per user before the password is checked: guessing one reader's password from many addresses is paced too.
        var user = reader is not null ? $"user:{reader.UserId}" : body.UserId is { } unknown ? $"id:{unknown}" : "email:" + body.Email!.ToLowerInvariant();
        if (throttle.Attempt(context, user) is { } retryAfter)
        {
            return RateLimitRejection.Problem(retryAfter);
        }

        // One hash verification whoever asks (an unknown user or one without a password is checked against a dummy hash).
        var check = passwords.Verify(reader, password);
        if (check == PasswordVerificationResult.Failed)
        {
            return new UnauthorizedProblem("Sign-in failed", "No reader has this user id (or e-mail address) and password.");
        }

        if (check == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await store.SetPasswordHashAsync(reader!.UserId, passwords.Hash(reader, password), cancellationToken);
        }

        var userId = reader!.UserId;
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

    /// <summary>Field errors of a sign-in body: a user id or an e-mail address (one of them) and a password.</summary>
    private static Dictionary<string, string[]> Validate(SessionRequest body)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.UserId is null && body.Email is null)
        {
            errors["userId"] = ["userId (an integer from 1) or email is required."];
        }
        else if (body.UserId is not null && body.Email is not null)
        {
            errors["userId"] = ["Give userId or email, not both."];
        }
        else if (body.UserId is not (null or > 0))
        {
            errors["userId"] = ["userId is an integer from 1."];
        }
        else if (body.Email is { Length: 0 or > MaxEmailLength })
        {
            errors["email"] = [$"email is 1 to {MaxEmailLength} characters."];
        }

        if (body.Password is not { Length: > 0 and <= MaxPasswordLength })
        {
            errors["password"] = [$"password is required: 1 to {MaxPasswordLength} characters."];
        }

        return errors;
    }

    /// <summary>A sign-in: <c>userId</c> or <c>email</c>, and <c>password</c>. Everything is nullable so a missing field is a validation error.</summary>
    public sealed class SessionRequest
    {
        public int? UserId { get; set; }

        public string? Email { get; set; }

        public string? Password { get; set; }
    }

    public sealed record SessionCreated(string Token, int UserId, DateTimeOffset CreatedAt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SessionsApi.SessionRequest))]
internal sealed partial class SessionsApiJsonContext : JsonSerializerContext;
