namespace Bookstore.Api.Security;

/// <summary>The names the API's schemes, policies and claims go by (docs/operations.md, "Who may call what", says who may do what).</summary>
public static class BookstoreAuth
{
    /// <summary>Catalog writes, <c>/admin/*</c>, <c>/catalog/*</c>: the admin key only.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>A user's cart, ratings and recommendations: the session of the user named by the route's <c>{id}</c>, or the admin key.</summary>
    public const string ReaderPolicy = "reader";

    /// <summary><c>GET/DELETE /sessions/{token}</c>: a session of the reader that session belongs to, or the admin key.</summary>
    public const string SessionOwnerPolicy = "session-owner";

    public const string ApiKeyScheme = "ApiKey";

    /// <summary>The session-token scheme; the token travels as <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public const string SessionScheme = "Bearer";

    public const string ApiKeyHeader = "X-Api-Key";

    public const string AdminRole = "admin";

    public const string UserIdClaim = "bookstore:user_id";

    public const string SessionTokenClaim = "bookstore:session";
}
