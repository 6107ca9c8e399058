namespace Bookstore.Api.Security;

/// <summary>
/// Requires one of the API's policies and declares what its refusals answer (written by
/// <see cref="ProblemDetailsAuthorizationResultHandler"/> as ProblemDetails), so the OpenAPI document lists them with the
/// security requirement <see cref="SecurityOpenApi"/> adds.
/// </summary>
public static class EndpointAuthorization
{
    /// <summary>The admin key: 401 without it or with a wrong one. A valid key is the admin, so there is no 403.</summary>
    public static TBuilder RequireAdminKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(BookstoreAuth.AdminPolicy).ProducesProblem(StatusCodes.Status401Unauthorized);

    /// <summary>The session of the reader the route's <c>{id}</c> names, or the admin key: 401 without a valid credential, 403 for another reader.</summary>
    public static TBuilder RequireReader<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => RequireOwner(builder, BookstoreAuth.ReaderPolicy);

    /// <summary>A session of the reader the route's <c>{token}</c> belongs to, or the admin key: 401 without a valid credential, 403 otherwise.</summary>
    public static TBuilder RequireSessionOwner<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => RequireOwner(builder, BookstoreAuth.SessionOwnerPolicy);

    private static TBuilder RequireOwner<TBuilder>(TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
