using System.Net;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Redis;
using StackExchange.Redis;

namespace Bookstore.Tests.Support;

/// <summary>
/// A real Redis Cluster of six redis-server processes on loopback, made as the AppHost's cluster topology makes it:
/// each node from the AppHost's rendered configuration and ACL users (<see cref="RedisServer.StartClusterNodeAsync"/>),
/// three primaries and three replicas joined by <see cref="RedisClusterBootstrap"/>. A node can be killed (SIGKILL).
/// Services connect as <c>bookstore-app</c>, the monitor as <c>bookstore-monitor</c>, as under the AppHost.
/// </summary>
public sealed class RedisCluster : ITestRedis, IAsyncDisposable
{
    /// <summary>
    /// <c>cluster-node-timeout</c> of the test clusters: 2 s rather than the AppHost's 5 s, so the failover test's gap
    /// (the node timeout, the failure vote, the replica's election) is about 3 s and the test stays short. No test class
    /// saw a node failed over by mistake at this timeout on the shared 2-core CI machine: a redis-server answers its
    /// peers' pings from its event loop within milliseconds even there.
    /// </summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private RedisCluster(IReadOnlyList<RedisServer> nodes, RedisUserPasswords users)
    {
        Nodes = nodes;
        Users = users;
    }

    /// <summary>The six nodes: shard 1, 2, 3's primaries, then their replicas in the same order (as created).</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    public RedisUserPasswords Users { get; }

    /// <summary>Every node, as <c>127.0.0.1:port,...</c>.</summary>
    public string EndPoints => string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port}"));

    /// <summary>As the services connect: <c>bookstore-app</c>.</summary>
    public string ConnectionString => ConnectionStringAs(RedisUsers.App, Users.App);

    /// <summary>Full access: <c>bookstore-admin</c>.</summary>
    public string AdminConnectionString => ConnectionStringAs(RedisUsers.Admin, Users.Admin);

    public IReadOnlyList<KeyValuePair<string, string?>> ServiceSettings =>
    [
        new("ConnectionStrings:cache", ConnectionString),
        new("ConnectionStrings:cache-monitor", ConnectionStringAs(RedisUsers.Monitor, Users.Monitor)),
        new("Bookstore:Redis:Topology", "cluster"),
    ];

    public string ConnectionStringAs(string user, string password) => $"{EndPoints},user={user},password={password}";

    /// <summary>Starts six nodes on free loopback ports (each with its cluster bus port free too), creates the cluster and waits until it is whole.</summary>
    public static async Task<RedisCluster> StartAsync(CancellationToken cancellationToken)
    {
        var users = RedisServer.NewUsers(replication: true);
        var ports = new List<int>();
        for (var i = 0; i < 2 * RedisClusterBootstrap.Shards; i++)
        {
            ports.Add(LoopbackPort.FindFreeForClusterNode(ports));
        }

        var started = ports.Select(port => RedisServer.StartClusterNodeAsync(port, users, NodeTimeout)).ToArray();
        try
        {
            var cluster = new RedisCluster(await Task.WhenAll(started), users);
            using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ready.CancelAfter(ReadyTimeout);
            var endpoints = cluster.Nodes.Select(n => (EndPoint)new IPEndPoint(IPAddress.Loopback, n.Port)).ToArray();
            await RedisClusterBootstrap.CreateAsync(endpoints[..RedisClusterBootstrap.Shards], endpoints[RedisClusterBootstrap.Shards..], RedisUsers.Admin, users.Admin, ready.Token);
            await RedisClusterBootstrap.WaitUntilReadyAsync(endpoints, RedisUsers.Monitor, users.Monitor, ready.Token);
            return cluster;
        }
        catch
        {
            foreach (var node in started.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The node on <paramref name="port"/>.</summary>
    public RedisServer NodeOn(int port) => Nodes.Single(n => n.Port == port);

    /// <summary>
    /// A connection with admin commands allowed, as the user of <paramref name="connectionString"/>; it has connected to
    /// every node the cluster names (StackExchange.Redis discovers them while it connects).
    /// </summary>
    public static async Task<ConnectionMultiplexer> ConnectAdminAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
