using Bookstore.AppHost.Redis;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The cluster topology's <c>cache</c>: no process of its own; its six nodes (<see cref="Nodes"/>, its children on the
/// dashboard) are. It is Running once they form a whole cluster, made on the first start and reloaded by each node from
/// its <c>nodes.conf</c> on later ones. Its connection string names every node, as the app user:
/// <c>127.0.0.1:p1,...,127.0.0.1:p6,user=bookstore-app,password=...</c>.
/// </summary>
public sealed class RedisClusterResource(string name, RedisUserParameters passwords) : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>The dashboard property that shows a node's role as it is now: <c>primary, shard 1</c> or <c>replica, shard 1</c>.</summary>
    public const string RoleProperty = "redis.role";

    private readonly List<RedisClusterNode> _nodes = [];

    /// <summary>Shard 1, 2 and 3's primaries as created, then their replicas in the same order.</summary>
    public IReadOnlyList<RedisClusterNode> Nodes => _nodes;

    /// <summary>The users' password parameters.</summary>
    public RedisUserParameters Passwords { get; } = passwords;

    public ReferenceExpression ConnectionStringExpression => ConnectionStringAs(RedisUsers.App, Passwords.App.Resource);

    /// <summary>The services' <c>ConnectionStrings:cache-monitor</c>: every node, as <c>bookstore-monitor</c>.</summary>
    public ReferenceExpression MonitorConnectionString => ConnectionStringAs(RedisUsers.Monitor, Passwords.Monitor.Resource);

    /// <summary>
    /// Every node's endpoint and the credentials of <paramref name="user"/>. By IPv4 address, not <c>localhost</c>: the
    /// nodes announce themselves to clients as 127.0.0.1, and a client would otherwise hold each node twice.
    /// </summary>
    public ReferenceExpression ConnectionStringAs(string user, ParameterResource password)
    {
        var expression = new ReferenceExpressionBuilder();
        foreach (var node in _nodes)
        {
            expression.AppendFormatted(node.Resource.PrimaryEndpoint.Property(EndpointProperty.IPV4Host));
            expression.AppendLiteral(":");
            expression.AppendFormatted(node.Resource.PrimaryEndpoint.Property(EndpointProperty.Port));
            expression.AppendLiteral(",");
        }

        expression.AppendLiteral($"user={user},password=");
        expression.AppendFormatted(password);
        return expression.Build();
    }

    internal void Add(RedisClusterNode node) => _nodes.Add(node);
}

/// <summary>One node of the cluster: its redis-server resource, its port, its shard (1–3) and whether it was created as the shard's primary.</summary>
public sealed record RedisClusterNode(LocalRedisResource Resource, int Port, int Shard, bool CreatedAsPrimary);
