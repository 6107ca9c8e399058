namespace Bookstore.ServiceDefaults.Security;

/// <summary>
/// The admin key scheme every Bookstore service shares (the api's admin routes, the worker's warming endpoints): one
/// key, <c>Bookstore:Security:AdminApiKey</c>, sent as <c>X-Api-Key</c>; under the AppHost the generated parameter
/// <c>api-admin-key</c>, which api and worker both get.
/// </summary>
public static class AdminKeyAuthentication
{
    public const string SchemeName = "ApiKey";

    public const string HeaderName = "X-Api-Key";

    /// <summary>The authorization policy that takes the admin key and nothing else.</summary>
    public const string PolicyName = "admin";

    public const string AdminRole = "admin";
}
