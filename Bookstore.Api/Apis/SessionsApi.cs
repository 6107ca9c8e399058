using System.Text.Json;
using System.Text.Json.Serialization;
using Bookstore.Api.Catalog;
using Bookstore.Api.Popularity;
using Bookstore.Api.Problems;
using Bookstore.Api.RateLimiting;
using Bookstore.Api.Security;
using Bookstore.Catalog.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Signing in and out. Sessions live only in the cache, under the hash of their token (<see cref="ReaderSessions"/>);
/// a sign-in answers 201 only once its session is stored, and 503 with <c>Retry-After</c> while Redis cannot store it.
/// </summary>
public static class SessionsApi
{
    /// <summary>How long a client is asked to wait after a sign-in Redis could not store (it reconnects within seconds).</summary>
    public static readonly TimeSpan StoreRetryAfter = ReaderSessions.RetryAfter;

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

    internal static async Task<Results<Created<SessionCreated>, RequestBodyProblem, UnauthorizedProblem, TooManyRequestsProblem, ServiceUnavailableProblem, ValidationProblem>> CreateAsync(
        HttpContext context, [AsParameters] SignInServices services, CancellationToken cancellationToken)
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
        var (store, passwords, sessions) = (services.Store, services.Passwords, services.Sessions);
        var reader = body.UserId is { } id
            ? await store.FindCredentialsAsync(id, cancellationToken)
            : await store.FindCredentialsByEmailAsync(body.Email!, cancellationToken);

        // Counted per user before the password is checked: guessing one reader's password from many addresses is paced too.
        var user = reader is not null ? $"user:{reader.UserId}" : body.UserId is { } unknown ? $"id:{unknown}" : "email:" + body.Email!.ToLowerInvariant();
        if (services.Throttle.Attempt(context, user) is { } retryAfter)
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

        if (await sessions.StartAsync(reader!.UserId, cancellationToken) is not var (token, session))
        {
            return new ServiceUnavailableProblem(
                "Sessions are unavailable", "The session could not be stored (the cache is unreachable), so no token was issued; sign in again after Retry-After.", StoreRetryAfter);
        }

        services.Activity.Record(session.UserId);
        return TypedResults.Created($"/sessions/{token}", new SessionCreated(token, session.UserId, session.CreatedAt));
    }

    internal static async Task<Results<Ok<ReaderSession>, NotFoundProblem>> GetAsync(string token, ReaderSessions sessions, CancellationToken cancellationToken) =>
        await sessions.FindAsync(token, cancellationToken) is { } session ? TypedResults.Ok(session) : NotFound();

    internal static async Task<Results<NoContent, NotFoundProblem>> EndAsync(string token, ReaderSessions sessions, CancellationToken cancellationToken)
    {
        if (await sessions.FindAsync(token, cancellationToken) is null)
        {
            return NotFound();
        }

        await sessions.EndAsync(token, cancellationToken);
        return TypedResults.NoContent();
    }

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

    /// <summary>What a sign-in works with.</summary>
    internal sealed record SignInServices(
        ICatalogStore Store, ReaderPasswords Passwords, SignInThrottle Throttle, ReaderSessions Sessions, ReaderActivity Activity);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SessionsApi.SessionRequest))]
internal sealed partial class SessionsApiJsonContext : JsonSerializerContext;
