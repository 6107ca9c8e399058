using System.Net;
using System.Threading.RateLimiting;
using Bookstore.ServiceDefaults.Security;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.RateLimiting;

/// <summary>
/// A limit per client address (<see cref="ClientPartitions.AddressOf"/>); a request with the valid admin key is never
/// limited. Its partition key, <see cref="IPAddress.IPv6None"/> (<c>::</c>), is never a client's source address.
/// </summary>
public abstract class ClientAddressPolicy(AdminApiKey adminKey) : IRateLimiterPolicy<IPAddress>
{
    private static readonly IPAddress AdminPartition = IPAddress.IPv6None;

    /// <summary>The rejection is written by the limiter's own handler (<see cref="RateLimitRejection"/>), the same for every policy.</summary>
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

    public RateLimitPartition<IPAddress> GetPartition(HttpContext httpContext) =>
        ClientPartitions.IsAdmin(httpContext, adminKey)
            ? RateLimitPartition.GetNoLimiter(AdminPartition)
            : PartitionOf(ClientPartitions.AddressOf(httpContext));

    private protected abstract RateLimitPartition<IPAddress> PartitionOf(IPAddress address);
}

/// <summary><c>POST /sessions</c>: <see cref="RateLimitOptions.SignInsPerMinute"/> attempts a minute per client address (a fixed window).</summary>
public sealed class SignInAddressPolicy(IOptions<RateLimitOptions> options, AdminApiKey adminKey) : ClientAddressPolicy(adminKey)
{
    private readonly FixedWindowRateLimiterOptions _window = RateLimitWindows.SignIns(options.Value);

    private protected override RateLimitPartition<IPAddress> PartitionOf(IPAddress address) =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => _window);
}

/// <summary>
/// Anonymous requests: a token bucket per client address of <see cref="RateLimitOptions.ReadBurst"/> tokens, refilled
/// with <see cref="RateLimitOptions.ReadsPerSecond"/> every second, so a burst passes and a steady flood is paced.
/// </summary>
public sealed class AnonymousReadPolicy(IOptions<RateLimitOptions> options, AdminApiKey adminKey) : ClientAddressPolicy(adminKey)
{
    private readonly TokenBucketRateLimiterOptions _bucket = new()
    {
        TokenLimit = options.Value.ReadBurst,
        TokensPerPeriod = options.Value.ReadsPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private protected override RateLimitPartition<IPAddress> PartitionOf(IPAddress address) =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => _bucket);
}

internal static class RateLimitWindows
{
    /// <summary>The sign-in window, the same for a client address and for a user.</summary>
    public static FixedWindowRateLimiterOptions SignIns(RateLimitOptions options) => new()
    {
        PermitLimit = options.SignInsPerMinute,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
