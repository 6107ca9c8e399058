using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>The roles the dashboard shows in <c>redis.role</c>; a replica's reads "replica of host:port".</summary>
public static class RedisRoles
{
    public const string Primary = "primary";
    public const string Replica = "replica";
    public const string Sentinel = "sentinel";
    public const string Down = "not answering";
    public const string Unreadable = "unknown";
}

/// <summary>
/// Shows each process of the replicated topology with its current role on the dashboard (the <c>redis.role</c>
/// property): every second it reads <c>INFO replication</c> of each data node as <c>bookstore-monitor</c>, so a failover
/// shows within a second or two, and names the primary on <c>cache</c> (<c>redis.primary</c>). A property is published
/// only when it changes.
/// </summary>
internal sealed partial class RedisRoleWatcher(
    ReplicatedRedisResource cache,
    IReadOnlyList<ExecutableResource> processes,
    ParameterResource monitorPassword,
    ResourceNotificationService notifications,
    ILogger<RedisRoleWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, string> _shown = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var password = await monitorPassword.GetValueAsync(stoppingToken).ConfigureAwait(false) ?? string.Empty;
        var nodes = processes.OfType<RedisDataNodeResource>().ToList();
        var connections = new Dictionary<RedisDataNodeResource, ConnectionMultiplexer>();
        try
        {
            // cache runs once every process has started: only then does each have its dashboard entry to add the role to.
            await notifications.WaitForResourceAsync(cache.Name, KnownResourceStates.Running, stoppingToken).ConfigureAwait(false);
            foreach (var sentinel in processes.OfType<RedisSentinelResource>())
            {
                await ShowAsync(sentinel, ReplicatedRedisExtensions.RoleProperty, RedisRoles.Sentinel).ConfigureAwait(false);
            }

            foreach (var node in nodes)
            {
                var options = ConfigurationOptions.Parse(BookstoreRedisExtensions.LocalMonitorConnectionString(node.Port, password));
                options.AbortOnConnectFail = false;
                options.AllowAdmin = true;
                options.BacklogPolicy = BacklogPolicy.FailFast;
                options.ClientName = "bookstore-apphost-roles";
                connections[node] = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            }

            using var timer = new PeriodicTimer(Interval);
            do
            {
                // All nodes at once, each given one interval: a hung node must not hold up the others' roles.
                var roles = await Task.WhenAll(nodes.Select(n => RoleOfAsync(connections[n], n.Port))).ConfigureAwait(false);
                var primaries = new List<RedisDataNodeResource>();
                for (var i = 0; i < nodes.Count; i++)
                {
                    if (roles[i] == RedisRoles.Unreadable)
                    {
                        LogUnreadable(nodes[i].Name);
                    }

                    if (roles[i] == RedisRoles.Primary)
                    {
                        primaries.Add(nodes[i]);
                    }

                    await ShowAsync(nodes[i], ReplicatedRedisExtensions.RoleProperty, roles[i]).ConfigureAwait(false);
                }

                // Two nodes that both say "primary" (a paused primary waking up before the Sentinels demote it): name neither.
                if (primaries is [var primary])
                {
                    cache.Topology.ObservePrimary(primary.Port);
                    await ShowAsync(cache, ReplicatedRedisExtensions.PrimaryProperty, $"{primary.Name} ({SentinelClient.Address(primary.Port)})").ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost stops.
        }
        finally
        {
            foreach (var connection in connections.Values)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The node's role from its <c>INFO replication</c>: primary, "replica of host:port" (with the link's state), or not answering.</summary>
    internal static async Task<string> RoleOfAsync(IConnectionMultiplexer connection, int port)
    {
        try
        {
            var info = (await connection.GetServer(SentinelClient.Address(port)).InfoAsync("replication").WaitAsync(Interval).ConfigureAwait(false))
                .SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            return info.GetValueOrDefault("role") switch
            {
                "master" => RedisRoles.Primary,
                "slave" => $"{RedisRoles.Replica} of {info.GetValueOrDefault("master_host")}:{info.GetValueOrDefault("master_port")}"
                           + (info.GetValueOrDefault("master_link_status") == "up" ? string.Empty : " (link down)"),
                var other => other ?? RedisRoles.Down,
            };
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Stopped, starting, or hung: the dashboard shows that instead of a role.
            return RedisRoles.Down;
        }
        catch (RedisCommandException)
        {
            // The client refused to send INFO (a configuration mistake of ours): shown as unknown and logged by the caller.
            return RedisRoles.Unreadable;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The role of {Node} could not be read: the AppHost's client refused to send INFO replication")]
    private partial void LogUnreadable(string node);

    private async Task ShowAsync(IResource resource, string property, string value)
    {
        var key = resource.Name + "/" + property;
        if (_shown.GetValueOrDefault(key) == value)
        {
            return;
        }

        _shown[key] = value;
        await notifications.PublishUpdateAsync(resource, s => s with
        {
            Properties = [.. s.Properties.Where(p => p.Name != property), new ResourcePropertySnapshot(property, value)],
        }).ConfigureAwait(false);
    }
}
