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

    public static ReferenceExpression Expression(EndpointReference endpoint, string user, ParameterResource password) =>
        ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.HostAndPort)},user={user},password={password}");
}
