using System.Threading.RateLimiting;
using Bookstore.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Bookstore.Api.RateLimiting;

/// <summary>
/// Sign-in attempts per user, <see cref="RateLimitOptions.SignInsPerMinute"/> a minute whatever address they come from:
/// asked by the sign-in once it has read the body and looked the user up, before it verifies the password. A user is
/// keyed by id when they exist (so their id and their e-mail address share one count), else by the name that was given.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _users;
    private readonly AdminApiKey _adminKey;
    private readonly TimeSpan _window;

    public SignInThrottle(IOptions<RateLimitOptions> options, AdminApiKey adminKey)
    {
        _adminKey = adminKey;
        var window = RateLimitWindows.SignIns(options.Value);
        _window = window.Window;
        _users = options.Value.Enabled
            ? PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => window))
            : null;
    }

    /// <summary>Null when the attempt may go on; otherwise how long the caller should wait (<c>Retry-After</c>).</summary>
    public TimeSpan? Attempt(HttpContext context, string user)
    {
        if (_users is null || ClientPartitions.IsAdmin(context, _adminKey))
        {
            return null;
        }

        using var lease = _users.AttemptAcquire(user);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _window;
    }

    public void Dispose() => _users?.Dispose();
}
