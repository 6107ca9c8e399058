using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Aspire.Hosting;

/// <summary>
/// The replicated topology in local mode: data nodes <c>{cache}-node-1</c> (the primary at a fresh start) to
/// <c>{cache}-node-{1 + ReadReplicas}</c> (at least one replica: without one the Sentinels have nothing to promote) and Sentinels <c>{cache}-sentinel-1..3</c>, each a redis-server process on its
/// own loopback port and data folder, shown as children of <c>{cache}</c> with their health and current role. The
/// services reference <c>{cache}</c>, whose connection string names the Sentinels.
/// </summary>
public static class ReplicatedRedisExtensions
{
    /// <summary>The dashboard property that shows a node's current role (primary, replica, sentinel, down).</summary>
    public const string RoleProperty = "redis.role";

    /// <summary>The dashboard property of <c>cache</c> that names the current primary.</summary>
    public const string PrimaryProperty = "redis.primary";

    public const string FailOverCommand = "bookstore-redis-failover";
    public const string PausePrimaryCommand = "bookstore-redis-pause-primary";

    /// <summary>The resource type the dashboard shows for <c>cache</c> in this topology.</summary>
    public const string ResourceType = "Redis (Sentinel)";

    /// <summary>
    /// Connection-string options for <c>bookstore-monitor</c> through the Sentinels: <see cref="BookstoreRedisExtensions.MonitorHandshake"/>
    /// without its <c>$SENTINEL=</c>, since the client must ask the Sentinels where the primary is.
    /// </summary>
    public static readonly string SentinelMonitorHandshake = BookstoreRedisExtensions.MonitorHandshake.Replace("$SENTINEL=,", string.Empty, StringComparison.Ordinal);

    internal static IResourceBuilder<IResourceWithConnectionString> AddReplicatedRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        BookstoreProfile profile,
        (RedisMode Requested, RedisMode Resolved, RedisTlsSettings? Tls) mode,
        ReplicatedRedisFiles files,
        RedisUserParameters passwords)
    {
        EnsureReplicatedCanRun(builder.Configuration, mode.Requested, mode.Resolved, mode.Tls);
        var replicationPassword = BookstoreRedisExtensions.AddPassword(builder, $"{name}-replication-password");
        var sentinelPassword = BookstoreRedisExtensions.AddPassword(builder, $"{name}-sentinel-password");
        async Task<RedisUserPasswords> ResolvePasswordsAsync(CancellationToken cancellationToken) =>
            await passwords.ResolveAsync(cancellationToken).ConfigureAwait(false) with
            {
                Replication = await replicationPassword.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false),
                Sentinel = await sentinelPassword.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false),
            };

        var dataNodes = 1 + Math.Max(1, profile.ReadReplicas);
        var ports = DistinctPorts(dataNodes + ReplicatedRedisConfiguration.SentinelCount);
        var topology = new ReplicatedRedisTopology(ports[..dataNodes], ports[dataNodes..]);
        var cache = builder.AddResource(new ReplicatedRedisResource(name, topology, passwords.App.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = ResourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [],
            });

        var context = new ReplicatedRedisContext(cache, profile, files, ResolvePasswordsAsync, passwords.Monitor.Resource);
        var processes = new List<IResourceBuilder<ExecutableResource>>();
        for (var index = 1; index <= topology.DataNodePorts.Count; index++)
        {
            processes.Add(context.AddDataNode(index));
        }

        var sentinelCommand = RedisModeResolver.FindOnPath("redis-sentinel") is not null ? "redis-sentinel" : "redis-server";
        for (var index = 1; index <= ReplicatedRedisConfiguration.SentinelCount; index++)
        {
            processes.Add(context.AddSentinel(index, sentinelCommand));
        }

        // cache turns Running once every process has started, and Healthy once a PING through the Sentinels reaches the primary.
        string? monitorConnectionString = null;
        var healthCheckKey = $"{name}_primary_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey,
            _ => new RedisPingHealthCheck(name, () => monitorConnectionString, tls: null, connection => connection.GetDatabase().PingAsync(CommandFlags.DemandMaster)),
            failureStatus: null,
            tags: null));
        foreach (var process in processes)
        {
            cache.WaitForStart(process);
        }

        cache.WithHealthCheck(healthCheckKey).OnInitializeResource(async (resource, evt, cancellationToken) =>
        {
            try
            {
                // Publishing BeforeResourceStartedEvent is where Aspire waits for the processes above.
                await evt.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, evt.Services), cancellationToken).ConfigureAwait(false);
                var monitor = await resource.ConnectionStringAs(RedisUsers.Monitor, passwords.Monitor.Resource).GetValueAsync(cancellationToken).ConfigureAwait(false);
                monitorConnectionString = monitor + "," + SentinelMonitorHandshake;
                await evt.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow })
                    .ConfigureAwait(false);
                await evt.Eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, evt.Services), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A process that did not start (its own log says why): the services waiting for cache are told, not left waiting.
                ReplicatedRedisLog.CacheFailedToStart(evt.Logger, ex);
                await evt.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart }).ConfigureAwait(false);
            }
        });

        builder.Services.AddHostedService(services => new RedisRoleWatcher(
            cache.Resource,
            [.. processes.Select(p => p.Resource)],
            passwords.Monitor.Resource,
            services.GetRequiredService<ResourceNotificationService>(),
            services.GetRequiredService<ILogger<RedisRoleWatcher>>()));

        var aclFile = Path.Combine(files.DataDirectory, $"{name}-node-1", RedisUsers.FileName);
        return builder.CreateResourceBuilder<IResourceWithConnectionString>(cache.Resource)
            .WithAnnotation(new RedisUsersAnnotation(passwords, aclFile))
            .WithBookstoreRedisCommands()
            .WithFailoverDrills(topology, passwords.Admin);
    }

    /// <summary>
    /// The replicated topology runs local redis-server processes only: in auto mode it takes them even where a container
    /// runtime answers. Container mode, TLS and a fixed port (<c>REDIS_PORT</c>, one server's) are refused with what to do.
    /// </summary>
    private static void EnsureReplicatedCanRun(IConfiguration configuration, RedisMode requested, RedisMode resolved, RedisTlsSettings? tls)
    {
        const string topologyKey = RedisOptions.SectionName + ":" + nameof(RedisOptions.Topology);
        if (resolved == RedisMode.Container && (requested == RedisMode.Container || RedisModeResolver.FindOnPath("redis-server") is null))
        {
            throw new DistributedApplicationException(
                $"The replicated topology ('{topologyKey}=replicated', the Production profile's) runs as local redis-server processes and is not offered in container mode: " +
                "containers would announce addresses of their own network to the Sentinels, which the services on this machine cannot reach. " +
                $"Install redis-server and use '{RedisModeResolver.ConfigurationKey}=local', choose '{topologyKey}=single' for a Redis container, " +
                $"or give a Sentinel deployment as '{RedisModeResolver.ConfigurationKey}=external' with its connection string.");
        }

        if (tls is not null)
        {
            throw new DistributedApplicationException(
                $"'{RedisTlsSettings.SectionKey}:Enabled' is true, but the replicated topology's processes (replication and Sentinel) run without TLS on loopback. " +
                $"Use '{topologyKey}=single' for a TLS-only redis-server.");
        }

        if (!string.IsNullOrWhiteSpace(configuration[BookstoreRedisExtensions.PortKey]))
        {
            throw new DistributedApplicationException(
                $"REDIS_PORT ('{BookstoreRedisExtensions.PortKey}') names one server's port, but the replicated topology runs several servers and three Sentinels on ports of their own, " +
                "and the services must not override the Sentinels' ports with it. Unset it.");
        }
    }

    /// <summary>
    /// The name <c>CONFIG</c> keeps on the data nodes when the profile removes it (Production): Sentinel runs
    /// <c>CONFIG REWRITE</c> in the transaction that promotes a replica, and a server without CONFIG aborts that
    /// transaction, so the failover would never complete. Derived from the Sentinel user's password, so it is as secret
    /// and stays the same for as long as that password does; the Sentinels are told it (<c>sentinel rename-command</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> RenamedCommands(BookstoreProfile profile, string sentinelPassword) =>
        BookstoreRedisExtensions.DisabledCommands(profile).Contains("CONFIG")
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["CONFIG"] = "CONFIG-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("bookstore-config-command:" + sentinelPassword)))[..24],
            }
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static IResourceBuilder<ExecutableResource> AddDataNode(this ReplicatedRedisContext context, int index)
    {
        var (cache, profile, files, resolvePasswords, _) = context;
        var topology = cache.Resource.Topology;
        var port = topology.DataNodePorts[index - 1];
        var name = $"{cache.Resource.Name}-node-{index}";
        var node = new RedisDataNodeResource(name, index, port, Path.Combine(files.DataDirectory, name));
        cache.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(node, async (evt, cancellationToken) =>
        {
            CreateOwnerOnlyDirectory(node.DataDirectory);
            var users = await resolvePasswords(cancellationToken).ConfigureAwait(false);
            var acl = RedisUsers.Render(await File.ReadAllTextAsync(files.AclTemplate, cancellationToken).ConfigureAwait(false), users);
            await BookstoreRedisExtensions.WriteOwnerOnlyFileAsync(Path.Combine(node.DataDirectory, RedisUsers.FileName), acl, cancellationToken).ConfigureAwait(false);

            var primary = await topology.PrimaryForStartAsync(port, users.Admin, cancellationToken).ConfigureAwait(false);
            var config = BookstoreRedisExtensions.RenderRuntimeConfig(
                    files.ConfigFile, node.DataDirectory, port, profile, tls: null, RenamedCommands(profile, users.Sentinel!))
                + ReplicatedRedisConfiguration.DataNodeSettings(primary.Port == port ? null : primary.Port, users.Replication!);
            await BookstoreRedisExtensions.WriteOwnerOnlyFileAsync(node.RuntimeConfigPath, config, cancellationToken).ConfigureAwait(false);

            var logger = evt.Services.GetRequiredService<ResourceLoggerService>().GetLogger(node);
            if (primary.Port == port)
            {
                ReplicatedRedisLog.StartsAsPrimary(logger, name, primary.Describe());
            }
            else
            {
                ReplicatedRedisLog.StartsAsReplica(logger, name, primary.Describe());
            }
        });

        return context.AddProcess(node, port, [node.RuntimeConfigPath]);
    }

    private static IResourceBuilder<ExecutableResource> AddSentinel(this ReplicatedRedisContext context, int index, string command)
    {
        var (cache, profile, _, resolvePasswords, _) = context;
        var topology = cache.Resource.Topology;
        var port = topology.SentinelPorts[index - 1];
        var name = $"{cache.Resource.Name}-sentinel-{index}";
        var sentinel = new RedisSentinelResource(name, command, port, Path.Combine(context.Files.DataDirectory, name));
        cache.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(sentinel, async (evt, cancellationToken) =>
        {
            CreateOwnerOnlyDirectory(sentinel.DataDirectory);
            var users = await resolvePasswords(cancellationToken).ConfigureAwait(false);
            var primary = await topology.PrimaryForStartAsync(port, users.Admin, cancellationToken).ConfigureAwait(false);
            var config = new StringBuilder(ReplicatedRedisConfiguration.RenderSentinelConfig(port, sentinel.DataDirectory, primary.Port, users));
            foreach (var (original, renamed) in RenamedCommands(profile, users.Sentinel!))
            {
                config.Append("sentinel rename-command ").Append(ReplicatedRedisConfiguration.ServiceName).Append(' ')
                    .Append(original).Append(' ').Append(renamed).Append('\n');
            }

            await BookstoreRedisExtensions.WriteOwnerOnlyFileAsync(sentinel.ConfigPath, config.ToString(), cancellationToken).ConfigureAwait(false);
            ReplicatedRedisLog.SentinelMonitors(evt.Services.GetRequiredService<ResourceLoggerService>().GetLogger(sentinel), name, primary.Describe());
        });

        // A Sentinel speaks only its own commands; StackExchange.Redis's Sentinel command map keeps the handshake to them.
        return context.AddProcess(
            sentinel, port, command == "redis-sentinel" ? [sentinel.ConfigPath] : [sentinel.ConfigPath, "--sentinel"], options => options.CommandMap = CommandMap.Sentinel);
    }

    /// <summary>
    /// A process of the topology on its loopback port, shown as a child of <c>cache</c>, healthy while it answers a PING
    /// sent to it as <c>bookstore-monitor</c> (whatever its role).
    /// </summary>
    private static IResourceBuilder<ExecutableResource> AddProcess<T>(
        this ReplicatedRedisContext context, T process, int port, string[] args, Action<ConfigurationOptions>? configure = null)
        where T : ExecutableResource
    {
        var builder = context.Cache.ApplicationBuilder;
        string? monitorConnectionString = null;
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(process, async (_, cancellationToken) =>
        {
            var password = await context.MonitorPassword.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
            monitorConnectionString = BookstoreRedisExtensions.LocalMonitorConnectionString(port, password);
        });

        var healthCheckKey = $"{process.Name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey,
            _ => new RedisPingHealthCheck(process.Name, () => monitorConnectionString, tls: null, PingFirstEndpoint, configure),
            failureStatus: null,
            tags: null));
        var added = builder.AddResource(process)
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithArgs(args)
            .WithParentRelationship(context.Cache.Resource)
            .WithHealthCheck(healthCheckKey);
        return builder.CreateResourceBuilder<ExecutableResource>(added.Resource);
    }

    /// <summary>"Fail over now" and "Pause primary for 10 s" on <c>cache</c>, each logging the time until writes succeeded again.</summary>
    private static IResourceBuilder<IResourceWithConnectionString> WithFailoverDrills(
        this IResourceBuilder<IResourceWithConnectionString> cache, ReplicatedRedisTopology topology, IResourceBuilder<ParameterResource> adminPassword)
    {
        Func<ExecuteCommandContext, Task<ExecuteCommandResult>> Run(Func<RedisFailoverDrills, CancellationToken, Task<RedisDrillOutcome>> drill) => async context =>
        {
            try
            {
                var password = await adminPassword.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false) ?? string.Empty;
                var outcome = await drill(new RedisFailoverDrills(topology.SentinelPorts, password, context.Logger), context.CancellationToken).ConfigureAwait(false);
                return CommandResults.Success(outcome.Describe());
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RedisException)
            {
                context.Logger.LogCommandFailure(ex);
                return CommandResults.Failure(RedisAdminCommands.Explain(ex));
            }
        };

        cache.WithCommand(FailOverCommand, "Fail over now", Run((drills, ct) => drills.FailOverNowAsync(ct)), new CommandOptions
        {
            Description = "SENTINEL FAILOVER: promotes a replica now and makes the primary its replica; logs how long until writes succeeded again.",
            ConfirmationMessage = "Fail over now? Writes pause for a moment, and the last writes the replica had not yet received are lost.",
            IconName = "ArrowSwap",
            UpdateState = RedisDashboardCommands.WhenHealthy,
        });
        return cache.WithCommand(PausePrimaryCommand, "Pause primary for 10 s", Run((drills, ct) => drills.PausePrimaryAsync(ct)), new CommandOptions
        {
            Description = "CLIENT PAUSE 10000 ALL on the primary: it stops answering, as a hung server would; logs how long until writes succeeded again.",
            ConfirmationMessage = string.Create(
                CultureInfo.InvariantCulture,
                $"Pause the primary for 10 s? The Sentinels fail it over after {SentinelTimings.Default.DownAfterMilliseconds / 1000.0:0.#} s without an answer."),
            IconName = "Pause",
            UpdateState = RedisDashboardCommands.WhenHealthy,
        });
    }

    /// <summary>
    /// A process's folder, readable by this user only: redis-server and Sentinel rewrite files there (Sentinel its
    /// sentinel.conf, with the passwords it sends in clear, on every change) with the default mode 0644.
    /// </summary>
    private static void CreateOwnerOnlyDirectory(string path)
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, ownerOnly);
        File.SetUnixFileMode(path, ownerOnly);
    }

    /// <summary>A PING to the one server of the connection string: a node answers whatever its role.</summary>
    private static Task PingFirstEndpoint(IConnectionMultiplexer connection) => connection.GetServer(connection.GetEndPoints()[0]).PingAsync();

    private static int[] DistinctPorts(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            // Below the ephemeral range: each process may stop and start again on its port (see LoopbackPort).
            ports.Add(LoopbackPort.FindFreeBelowEphemeralRange());
        }

        return [.. ports];
    }

}

/// <summary>Where the replicated topology's processes get their configuration: the shipped files and the profile's data folder.</summary>
internal sealed record ReplicatedRedisFiles(string ConfigFile, string AclTemplate, string DataDirectory);

/// <summary>What every process of the topology is built from.</summary>
internal sealed record ReplicatedRedisContext(
    IResourceBuilder<ReplicatedRedisResource> Cache,
    BookstoreProfile Profile,
    ReplicatedRedisFiles Files,
    Func<CancellationToken, Task<RedisUserPasswords>> ResolvePasswords,
    ParameterResource MonitorPassword);

internal static partial class ReplicatedRedisLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Node} starts as the primary: {Primary}")]
    public static partial void StartsAsPrimary(ILogger logger, string node, string primary);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Node} starts as a replica of {Primary}")]
    public static partial void StartsAsReplica(ILogger logger, string node, string primary);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Sentinel} starts monitoring the primary {Primary}")]
    public static partial void SentinelMonitors(ILogger logger, string sentinel, string primary);

    [LoggerMessage(Level = LogLevel.Error, Message = "cache did not start: one of its processes did not")]
    public static partial void CacheFailedToStart(ILogger logger, Exception exception);
}
