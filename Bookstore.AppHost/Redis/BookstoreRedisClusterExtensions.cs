using System.Net;
using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Aspire.Hosting;

/// <summary>What <see cref="BookstoreRedisExtensions.AddBookstoreRedis"/> has worked out before it adds the cluster.</summary>
internal sealed record RedisClusterInputs(
    RedisMode Requested, RedisMode Resolved, string ConfigFile, string AclTemplate, string DataDirectory, RedisUserParameters Passwords, RedisTlsSettings? Tls);

/// <summary>
/// The cluster topology (<c>Bookstore:Redis:Topology=cluster</c>) in local mode: six redis-server processes on loopback,
/// each its own resource (<c>cache-shard-1-primary</c>, <c>cache-shard-1-replica</c>, ...) with a health check and its
/// role now shown on the dashboard, children of <c>cache</c>, which is Running once they form a whole cluster.
/// </summary>
public static partial class BookstoreRedisClusterExtensions
{
    /// <summary>The folder under the Redis data folder holding one folder per node (its data and <c>nodes.conf</c>).</summary>
    public const string ClusterFolder = "cluster";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Six nodes made into a cluster of three primaries and three replicas on the first start and kept in the data folder:
    /// each node's <c>nodes.conf</c> holds the cluster, and its port is read back from it, so a later start reloads the
    /// cluster and creates nothing. The container mode is refused (see <see cref="EnsureLocalMode"/>).
    /// </summary>
    internal static IResourceBuilder<IResourceWithConnectionString> AddLocalRedisCluster(
        this IDistributedApplicationBuilder builder, string name, BookstoreProfile profile, RedisClusterInputs inputs)
    {
        EnsureLocalMode(inputs);
        var replication = BookstoreRedisExtensions.AddPassword(builder, $"{name}-replication-password");
        var cluster = new RedisClusterResource(name, inputs.Passwords);
        var health = new RedisClusterHealth(cluster);
        var cache = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "RedisCluster", State = KnownResourceStates.NotStarted, Properties = [] });

        var clusterDirectory = Path.Combine(inputs.DataDirectory, ClusterFolder);
        var basePort = BookstoreRedisExtensions.ReadPort(builder.Configuration);
        var ports = new List<int>();
        for (var i = 0; i < 2 * RedisClusterBootstrap.Shards; i++)
        {
            var shard = (i % RedisClusterBootstrap.Shards) + 1;
            var createdAsPrimary = i < RedisClusterBootstrap.Shards;
            var nodeName = $"{name}-shard-{shard}-{(createdAsPrimary ? "primary" : "replica")}";
            var nodeDirectory = Path.Combine(clusterDirectory, nodeName);
            var port = PortOf(nodeDirectory, basePort is { } first ? first + i : null, ports);
            ports.Add(port);
            var node = new RedisClusterNode(new LocalRedisResource(nodeName, nodeDirectory, inputs.Passwords.App.Resource), port, shard, createdAsPrimary);
            cluster.Add(node);
            builder.AddClusterNode(cache, node, profile, inputs, replication, health);
        }

        builder.Services.AddHealthChecks().AddAsyncCheck($"{name}_cluster_check", health.CheckClusterAsync);
        cache.WithHealthCheck($"{name}_cluster_check");
        cache.OnInitializeResource((resource, e, cancellationToken) => FormClusterAsync(resource, e, health, clusterDirectory, inputs.Passwords, cancellationToken));
        return cache;
    }

    /// <summary>
    /// The local mode. Auto takes it when redis-server is on PATH even where a container runtime answers; the container
    /// mode is refused: cluster nodes tell clients the addresses they see themselves at, which inside containers are not
    /// the ones the services on this machine reach them at. The app model cannot check that, so it is not offered.
    /// </summary>
    private static void EnsureLocalMode(RedisClusterInputs inputs)
    {
        if (inputs.Tls is not null)
        {
            throw new DistributedApplicationException(
                $"'{RedisTlsSettings.SectionKey}:Enabled' is true with the cluster topology; the AppHost sets up TLS for the single local redis-server only. " +
                "Turn TLS off, or use the single topology (--Bookstore:Redis:Topology=single).");
        }

        var local = inputs.Resolved == RedisMode.Local
            || (inputs.Requested == RedisMode.Auto && RedisModeResolver.FindOnPath("redis-server") is not null);
        if (!local)
        {
            throw new DistributedApplicationException(
                "The cluster topology runs six local redis-server processes and has no container mode: cluster nodes announce the addresses " +
                "they see themselves at, which inside containers the services on this machine cannot reach. Use " +
                $"'{RedisModeResolver.ConfigurationKey}=local' with redis-server on PATH ('sudo apt-get install redis-server', 'brew install redis'), " +
                $"or '{RedisModeResolver.ConfigurationKey}=external' with 'ConnectionStrings:cache' naming your cluster's nodes.");
        }
    }

    /// <summary>
    /// The node's port: the one its <c>nodes.conf</c> names (the cluster's peers know it by it), else
    /// <c>Bookstore:Redis:Port</c> + its index, else a free pair of loopback ports (the port and its cluster bus port).
    /// </summary>
    private static int PortOf(string nodeDirectory, int? configured, IReadOnlyCollection<int> taken)
    {
        var kept = RedisClusterBootstrap.PortInNodesFile(nodeDirectory);
        if (kept is { } known && configured is { } wanted && known != wanted)
        {
            throw new DistributedApplicationException(
                $"The Redis Cluster node in '{nodeDirectory}' was created on port {known}, but '{BookstoreRedisExtensions.PortKey}' puts it on {wanted}; " +
                $"its peers know it by {known}. Set '{BookstoreRedisExtensions.PortKey}' back, or stop the AppHost and delete '{Path.GetDirectoryName(nodeDirectory)}' to create the cluster afresh.");
        }

        return kept ?? configured ?? LoopbackPort.FindFreeForClusterNode(taken);
    }

    private static void AddClusterNode(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<RedisClusterResource> cache,
        RedisClusterNode node,
        BookstoreProfile profile,
        RedisClusterInputs inputs,
        IResourceBuilder<ParameterResource> replication,
        RedisClusterHealth health)
    {
        var resource = node.Resource;
        var aclFile = Path.Combine(resource.DataDirectory, RedisUsers.FileName);
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (_, cancellationToken) =>
        {
            var replicationPassword = await replication.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"The parameter '{replication.Resource.Name}' has no value.");
            var passwords = await inputs.Passwords.ResolveAsync(cancellationToken).ConfigureAwait(false) with { Replication = replicationPassword };
            await BookstoreRedisExtensions.WriteUsersFileAsync(inputs.AclTemplate, aclFile, passwords, cancellationToken).ConfigureAwait(false);
            await BookstoreRedisExtensions.WriteOwnerOnlyFileAsync(
                resource.RuntimeConfigPath,
                RedisClusterBootstrap.RenderNodeConfig(inputs.ConfigFile, resource.DataDirectory, node.Port, profile, RedisClusterBootstrap.NodeTimeout, replicationPassword),
                cancellationToken).ConfigureAwait(false);
        });

        var healthCheck = $"{resource.Name}_check";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, cancellationToken => health.CheckNodeAsync(node, cancellationToken));
        IResourceBuilder<IResourceWithConnectionString> added = builder.AddResource(resource)
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", port: node.Port, targetPort: node.Port, isProxied: false)
            .WithArgs(resource.RuntimeConfigPath)
            .WithHealthCheck(healthCheck)
            .WithParentRelationship(cache)
            .WithAnnotation(new RedisUsersAnnotation(inputs.Passwords, aclFile));

        // Each node's slow log, memory report and AOF rewrite, as on the single server.
        added.WithBookstoreRedisCommands();
    }

    /// <summary>
    /// Once the six nodes answer: makes them into the cluster (or finds they already are one), waits until it is whole,
    /// and marks <c>cache</c> Running, which lets api and worker start.
    /// </summary>
    private static async Task FormClusterAsync(
        RedisClusterResource cluster, InitializeResourceEvent e, RedisClusterHealth health, string clusterDirectory, RedisUserParameters parameters, CancellationToken cancellationToken)
    {
        await e.Notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Waiting }).ConfigureAwait(false);
        try
        {
            foreach (var node in cluster.Nodes)
            {
                await e.Notifications.WaitForResourceHealthyAsync(node.Resource.Name, cancellationToken).ConfigureAwait(false);
            }

            await e.Notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Starting }).ConfigureAwait(false);
            var passwords = await parameters.ResolveAsync(cancellationToken).ConfigureAwait(false);
            var endpoints = cluster.Nodes.Select(n => (EndPoint)new IPEndPoint(IPAddress.Loopback, n.Port)).ToArray();
            var created = await RedisClusterBootstrap.CreateAsync(
                endpoints[..RedisClusterBootstrap.Shards], endpoints[RedisClusterBootstrap.Shards..], RedisUsers.Admin, passwords.Admin, cancellationToken).ConfigureAwait(false);
            if (created)
            {
                e.Logger.LogClusterCreated(clusterDirectory);
            }
            else
            {
                e.Logger.LogClusterReloaded(clusterDirectory);
            }

            using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ready.CancelAfter(ReadyTimeout);
            await RedisClusterBootstrap.WaitUntilReadyAsync(endpoints, RedisUsers.Monitor, passwords.Monitor, ready.Token).ConfigureAwait(false);
            await health.ClusterFormedAsync(e.Notifications, cancellationToken).ConfigureAwait(false);
            await e.Notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow }).ConfigureAwait(false);
            await e.Eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, e.Services), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or RedisException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            e.Logger.LogClusterFailed(clusterDirectory, ex);
            await e.Notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the Redis Cluster: 3 primaries and 3 replicas, kept in {ClusterDirectory}")]
    private static partial void LogClusterCreated(this ILogger logger, string clusterDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Redis Cluster's nodes reloaded it from their nodes.conf in {ClusterDirectory}; nothing to create")]
    private static partial void LogClusterReloaded(this ILogger logger, string clusterDirectory);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "The Redis Cluster could not be formed. If its nodes are partly set up, stop the AppHost and delete {ClusterDirectory} to create it afresh (its cached data goes with it)")]
    private static partial void LogClusterFailed(this ILogger logger, string clusterDirectory, Exception exception);
}
