using Aspire.Hosting.ApplicationModel;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// A StackExchange.Redis connection string to the <c>cache</c> endpoint as one ACL user. In container mode the
/// Redis resource redirects its connection string here, since Aspire's carries no user; it is not itself a resource
/// of the model (nothing to start or show).
/// </summary>
public sealed class RedisUserConnection(string name, EndpointReference endpoint, string user, ParameterResource password)
    : Resource(name), IResourceWithConnectionString
{
    public string User { get; } = user;

    public ReferenceExpression ConnectionStringExpression { get; } = Expression(endpoint, user, password);

    /// <param name="options">Appended as is, e.g. <c>,ssl=true</c> when the server speaks TLS only.</param>
    public static ReferenceExpression Expression(EndpointReference endpoint, string user, ParameterResource password, string options = "") =>
        ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.HostAndPort)},user={user},password={password}{options}");
}
