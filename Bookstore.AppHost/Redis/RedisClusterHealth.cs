using System.Collections.Concurrent;
using System.Net;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The health of the cluster topology's resources, read as <c>bookstore-monitor</c> over one connection to every node
/// (opened at the first check, again after a failed connect). A node is Healthy while it answers PING; once the cluster
/// is formed, its description and its dashboard property <see cref="RedisClusterResource.RoleProperty"/> say its role
/// now, which a failover changes (shown at the node's next health check).
/// <c>cache</c> is Healthy while every node takes part in a whole cluster (every slot served, every replica linked),
/// Degraded while every slot is served but a node is missing or catching up, Unhealthy while some slots have no
/// answering primary.
/// </summary>
internal sealed class RedisClusterHealth(RedisClusterResource cluster)
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, string> _roles = new(StringComparer.Ordinal);
    private Task<ConnectionMultiplexer>? _connection;

    private ResourceNotificationService? _notifications;

    /// <summary>
    /// The nodes form the cluster now: from here on each node's role is shown (before, a fresh node is a primary of
    /// nothing), starting with every node's at once.
    /// </summary>
    public async Task ClusterFormedAsync(ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        _notifications = notifications;
        foreach (var node in cluster.Nodes)
        {
            await CheckNodeAsync(node, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<HealthCheckResult> CheckClusterAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return HealthCheckResult.Unhealthy("No node of the cluster answered yet.");
        }

        var ready = await Task.WhenAll(cluster.Nodes.Select(n => RedisClusterBootstrap.IsReadyAsync(ServerOf(connection, n)))).WaitAsync(NodeTimeout, cancellationToken).ConfigureAwait(false);
        if (ready.All(r => r))
        {
            return HealthCheckResult.Healthy($"{RedisClusterBootstrap.Shards} primaries and {RedisClusterBootstrap.Shards} replicas; every hash slot served.");
        }

        var behind = string.Join(", ", cluster.Nodes.Where((_, i) => !ready[i]).Select(n => n.Resource.Name));
        return await EverySlotServedAsync(connection).ConfigureAwait(false)
            ? HealthCheckResult.Degraded($"Every hash slot is served; not in a whole cluster now: {behind}.")
            : HealthCheckResult.Unhealthy($"Some hash slots have no answering primary; not in a whole cluster now: {behind}.");
    }

    public async Task<HealthCheckResult> CheckNodeAsync(RedisClusterNode node, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return HealthCheckResult.Unhealthy($"'{node.Resource.Name}' did not answer.");
        }

        try
        {
            var server = ServerOf(connection, node);
            await server.PingAsync().WaitAsync(NodeTimeout, cancellationToken).ConfigureAwait(false);
            var replication = (await server.InfoAsync("replication").WaitAsync(NodeTimeout, cancellationToken).ConfigureAwait(false))
                .SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            var role = $"{(replication.GetValueOrDefault("role") == "master" ? "primary" : "replica")}, shard {node.Shard}";
            await PublishRoleAsync(node, role).ConfigureAwait(false);
            return HealthCheckResult.Healthy(role);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"'{node.Resource.Name}' did not answer PING.", ex);
        }
    }

    private async Task PublishRoleAsync(RedisClusterNode node, string role)
    {
        if (_notifications is not { } notifications || _roles.TryGetValue(node.Resource.Name, out var shown) && shown == role)
        {
            return;
        }

        await notifications.PublishUpdateAsync(node.Resource, snapshot => snapshot with
        {
            Properties = [.. snapshot.Properties.Where(p => p.Name != RedisClusterResource.RoleProperty), new(RedisClusterResource.RoleProperty, role)],
        }).ConfigureAwait(false);
        _roles[node.Resource.Name] = role;
    }

    private async Task<bool> EverySlotServedAsync(ConnectionMultiplexer connection)
    {
        foreach (var node in cluster.Nodes)
        {
            try
            {
                var state = await RedisClusterBootstrap.ClusterInfoAsync(ServerOf(connection, node)).WaitAsync(NodeTimeout).ConfigureAwait(false);
                return state.GetValueOrDefault("cluster_slots_ok") == RedisClusterBootstrap.HashSlots.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // That node does not answer: ask the next.
            }
        }

        return false;
    }

    private static IServer ServerOf(ConnectionMultiplexer connection, RedisClusterNode node) =>
        connection.GetServer(new IPEndPoint(IPAddress.Loopback, node.Port));

    /// <summary>The monitor's connection to every node; null when it could not be opened (it is tried again at the next check).</summary>
    private async Task<ConnectionMultiplexer?> ConnectionAsync(CancellationToken cancellationToken)
    {
        // Not the check's token: the connection outlives the check that opened it.
        var connecting = _connection ??= ConnectAsync(CancellationToken.None);
        try
        {
            return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _ = Interlocked.CompareExchange(ref _connection, null, connecting);
            return null;
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        var password = await cluster.Passwords.Monitor.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new DistributedApplicationException($"The parameter '{cluster.Passwords.Monitor.Resource.Name}' has no value.");
        return await RedisClusterBootstrap.ConnectAsync(
            [.. cluster.Nodes.Select(n => (EndPoint)new IPEndPoint(IPAddress.Loopback, n.Port))], RedisUsers.Monitor, password, abortOnConnectFail: false).ConfigureAwait(false);
    }
}
