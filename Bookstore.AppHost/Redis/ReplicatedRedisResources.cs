using Bookstore.AppHost.Redis;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The <c>cache</c> resource of the replicated topology: nothing runs under this name; its data nodes and Sentinels are
/// its children. The services' connection string names the Sentinels and <c>serviceName=bookstore</c>, so the client
/// asks them for the primary and its replicas and follows a failover by itself.
/// </summary>
public sealed class ReplicatedRedisResource(
    string name, ReplicatedRedisTopology topology, ParameterResource passwordParameter)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    public ReplicatedRedisTopology Topology { get; } = topology;

    /// <summary>The password of the ACL user <c>bookstore-app</c>, the one the services connect as.</summary>
    public ParameterResource PasswordParameter { get; } = passwordParameter;

    public ReferenceExpression ConnectionStringExpression => ConnectionStringAs(RedisUsers.App, PasswordParameter);

    /// <summary>The Sentinels' connection string for one ACL user, the password filled in from its parameter at run time.</summary>
    public ReferenceExpression ConnectionStringAs(string user, ParameterResource password)
    {
        // ReplicatedRedisConfiguration's shape, which ends in "password=": the parameter's value follows.
        var withoutPassword = ReplicatedRedisConfiguration.ConnectionString(Topology.SentinelPorts, user, password: string.Empty);
        return ReferenceExpression.Create($"{withoutPassword}{password}");
    }
}

/// <summary>A redis-server that holds data in the replicated topology: the primary or one of its replicas.</summary>
public sealed class RedisDataNodeResource(string name, int index, int port, string dataDirectory)
    : ExecutableResource(name, "redis-server", dataDirectory)
{
    /// <summary>1 for the node that is the primary at a fresh start, 2.. for its replicas.</summary>
    public int Index { get; } = index;

    public int Port { get; } = port;

    public string DataDirectory { get; } = dataDirectory;

    public string RuntimeConfigPath => Path.Combine(DataDirectory, LocalRedisResource.RuntimeConfigFileName);
}

/// <summary>
/// A Sentinel of the replicated topology: <c>redis-sentinel</c> when it is on PATH, else <c>redis-server --sentinel</c>
/// (the same binary; Debian's redis-sentinel package only adds the link and a service).
/// </summary>
public sealed class RedisSentinelResource(string name, string command, int port, string dataDirectory)
    : ExecutableResource(name, command, dataDirectory)
{
    public const string ConfigFileName = "sentinel.conf";

    public int Port { get; } = port;

    public string DataDirectory { get; } = dataDirectory;

    public string ConfigPath => Path.Combine(DataDirectory, ConfigFileName);
}
