using System.Net;
using Bookstore.ServiceDefaults.Security;

namespace Bookstore.Api.RateLimiting;

/// <summary>Who a limit counts against: the client's address, unless the request carries the valid admin key (never limited).</summary>
internal static class ClientPartitions
{
    /// <summary>The connection's remote address; a connection without one (a test server, a Unix socket) counts as <see cref="IPAddress.None"/>.</summary>
    public static IPAddress AddressOf(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    /// <summary>True for a request with the valid admin key; one hash comparison, and nothing at all without the header.</summary>
    public static bool IsAdmin(HttpContext context, AdminApiKey adminKey) =>
        context.Request.Headers.TryGetValue(AdminKeyAuthentication.HeaderName, out var presented) && presented.Count == 1 && adminKey.Matches(presented[0]);
}
