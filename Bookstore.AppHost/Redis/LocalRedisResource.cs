using Bookstore.AppHost.Redis;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A <c>redis-server</c> process started from PATH, listening on loopback only. Its connection string has the
/// shape the services get in container mode: <c>host:port,user=bookstore-app,password=...</c>.
/// </summary>
public sealed class LocalRedisResource(string name, string dataDirectory, ParameterResource passwordParameter)
    : ExecutableResource(name, "redis-server", dataDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    /// <summary>The rendered configuration file: includes redis/redis.conf and adds port, bind, dir and the ACL file.</summary>
    public const string RuntimeConfigFileName = "redis.runtime.conf";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    /// <summary>The password of the ACL user <c>bookstore-app</c>, the one the services connect as.</summary>
    public ParameterResource PasswordParameter { get; } = passwordParameter;

    public string DataDirectory { get; } = dataDirectory;

    public string RuntimeConfigPath => Path.Combine(DataDirectory, RuntimeConfigFileName);

    /// <summary>Appended to the connection string, e.g. <c>,ssl=true</c> when the server speaks TLS only.</summary>
    public string ConnectionStringOptions { get; init; } = string.Empty;

    public ReferenceExpression ConnectionStringExpression =>
        RedisUserConnection.Expression(PrimaryEndpoint, RedisUsers.App, PasswordParameter, ConnectionStringOptions);
}
