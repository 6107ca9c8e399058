using System.ComponentModel.DataAnnotations;

namespace Bookstore.Api.RateLimiting;

/// <summary>
/// Section <c>Bookstore:RateLimits</c>: how often a client address (and, for sign-ins, a user) may call the endpoints
/// anyone may call. The admin key is never limited. The defaults are the Production profile's; the AppHost sets each
/// profile's numbers (<c>BookstoreProfile.RateLimits</c>), the benchmarks turn the limits off.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Bookstore:RateLimits";

    /// <summary>Off: no request is limited and the rate limiter is not in the pipeline at all (the benchmark configuration).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sign-in attempts (<c>POST /sessions</c>) per minute, for each client address and, apart, for each user.</summary>
    [Range(1, 10_000)]
    public int SignInsPerMinute { get; set; } = 5;

    /// <summary>Anonymous requests (catalog and profile reads, monitoring, visit counts) per second per client address, on average.</summary>
    [Range(1, 1_000_000)]
    public int ReadsPerSecond { get; set; } = 100;

    /// <summary>How many anonymous requests a client address may make at once before <see cref="ReadsPerSecond"/> paces it (the token bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int ReadBurst { get; set; } = 200;
}
