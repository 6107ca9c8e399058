using System.Threading.RateLimiting;
using Bookstore.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;

namespace Bookstore.Api.RateLimiting;

/// <summary>Every rate-limit refusal: 429 ProblemDetails with <c>Retry-After</c> in whole seconds.</summary>
internal static class RateLimitRejection
{
    public static TooManyRequestsProblem Problem(TimeSpan retryAfter) => new(
        "Too many requests",
        $"Too many requests from this client address (or, for a sign-in, for this user); try again in {ApiProblem.RetryAfterSeconds(retryAfter)} s (Retry-After).",
        retryAfter);

    public static ValueTask WriteAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return new ValueTask(Problem(retryAfter).ExecuteAsync(context.HttpContext));
    }
}
