using Microsoft.AspNetCore.Builder;

namespace Bookstore.Api.RateLimiting;

/// <summary>Puts a rate-limit policy on endpoints and declares its 429 (ProblemDetails, <c>Retry-After</c>) for the OpenAPI document.</summary>
public static class EndpointRateLimits
{
    /// <summary><c>POST /sessions</c>, per client address (<see cref="SignInAddressPolicy"/>).</summary>
    public const string SignInPolicy = "sign-in";

    /// <summary>Endpoints anyone may call, per client address (<see cref="AnonymousReadPolicy"/>).</summary>
    public const string AnonymousPolicy = "anonymous";

    public static TBuilder RequireAnonymousRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => Limit(builder, AnonymousPolicy);

    public static TBuilder RequireSignInRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => Limit(builder, SignInPolicy);

    private static TBuilder Limit<TBuilder>(TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(policy).ProducesProblem(StatusCodes.Status429TooManyRequests);
}
