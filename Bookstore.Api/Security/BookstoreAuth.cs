using Bookstore.ServiceDefaults.Security;

namespace Bookstore.Api.Security;

/// <summary>The names the API's schemes, policies and claims go by (docs/operations.md, "Who may call what", says who may do what).</summary>
public static class BookstoreAuth
{
    /// <summary>Catalog writes, <c>/admin/*</c>, <c>/catalog/*</c>, <c>/redis/roundtrip</c>: the admin key only (the scheme every service shares).</summary>
    public const string AdminPolicy = AdminKeyAuthentication.PolicyName;

    /// <summary>A user's cart, ratings and recommendations: the session of the user named by the route's <c>{id}</c>, or the admin key.</summary>
    public const string ReaderPolicy = "reader";

    /// <summary><c>GET/DELETE /sessions/{token}</c>: a session of the reader that session belongs to, or the admin key.</summary>
    public const string SessionOwnerPolicy = "session-owner";

    public const string ApiKeyScheme = AdminKeyAuthentication.SchemeName;

    /// <summary>The session-token scheme; the token travels as <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public const string SessionScheme = "Bearer";

    public const string ApiKeyHeader = AdminKeyAuthentication.HeaderName;

    public const string AdminRole = AdminKeyAuthentication.AdminRole;

    public const string UserIdClaim = "bookstore:user_id";

    public const string SessionTokenClaim = "bookstore:session";
}
