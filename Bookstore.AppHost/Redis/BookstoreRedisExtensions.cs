using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

public static class BookstoreRedisExtensions
{
    public const string ContainerConfigPath = "/usr/local/etc/redis/redis.conf";
    public const string ContainerAclPath = "/usr/local/etc/redis/users.acl";
    public const string DataDirectoryKey = "Bookstore:Redis:DataDirectory";
    public const string PortKey = "Bookstore:Redis:Port";

    /// <summary>The services' <c>REDIS_HOST</c>; where the AppHost runs Redis it must name this machine's loopback.</summary>
    public const string HostKey = "Bookstore:Redis:Host";

    /// <summary>The services' <c>REDIS_PASSWORD</c>; where the AppHost runs Redis it becomes the app user's password.</summary>
    public const string PasswordKey = "Bookstore:Redis:Password";

    /// <summary>
    /// Adds the <c>cache</c> Redis in the mode <c>Bookstore:Redis:Mode</c> asks for (see <see cref="RedisMode"/>).
    /// Both started modes load <c>redis/redis.conf</c>, require the generated password (or <c>REDIS_PASSWORD</c>) and get
    /// the profile's memory and client limits, eviction policy and log level.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddBookstoreRedis(
        this IDistributedApplicationBuilder builder, string name, BookstoreProfile profile)
    {
        var requested = RedisModeResolver.ParseMode(builder.Configuration[RedisModeResolver.ConfigurationKey]);
        var resolver = requested == RedisMode.Auto
            ? RedisModeResolver.ForThisMachine(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"])
            : new RedisModeResolver(() => false, () => null);

        RedisMode mode;
        RedisTlsSettings? tls;
        try
        {
            mode = resolver.Resolve(requested);
            tls = RedisTlsSettings.From(builder.Configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new DistributedApplicationException(ex.Message, ex);
        }

        if (tls is not null && mode != RedisMode.Local)
        {
            throw new DistributedApplicationException(
                $"'{RedisTlsSettings.SectionKey}:Enabled' is true but Redis runs in '{mode.ToString().ToLowerInvariant()}' mode; the AppHost configures TLS for the local redis-server only. " +
                "For an external Redis put ssl=true in its connection string and give the services 'Bookstore:Redis:Tls:CaCertificateFile'.");
        }

        if (mode == RedisMode.External)
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
            {
                throw new DistributedApplicationException(
                    $"'{RedisModeResolver.ConfigurationKey}' is external but 'ConnectionStrings:{name}' is not set. " +
                    $"Give the Redis connection string, e.g. --ConnectionStrings:{name}=\"redis.example:6380,ssl=true,password=...\".");
            }

            return builder.AddConnectionString(name);
        }

        AdoptServiceConnectionSettings(builder.Configuration, name);
        var configFile = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "redis", "redis.conf"));
        var aclTemplate = RedisUsers.TemplatePath(builder.AppHostDirectory);
        foreach (var file in new[] { configFile, aclTemplate })
        {
            if (!File.Exists(file))
            {
                throw new DistributedApplicationException($"The Redis configuration '{file}' is missing; it ships with the repository.");
            }
        }

        // The app user's password keeps the parameter name it always had; the monitor and admin users get their own.
        var passwords = new RedisUserParameters(
            AddPassword(builder, $"{name}-password"),
            AddPassword(builder, $"{name}-monitor-password"),
            AddPassword(builder, $"{name}-admin-password"));
        var dataDirectory = Path.GetFullPath(
            builder.Configuration[DataDirectoryKey]
            ?? Path.Combine(builder.AppHostDirectory, ".data", "redis", profile.Name.ToLowerInvariant()));
        if (profile.Topology == RedisTopology.Replicated)
        {
            return builder.AddReplicatedRedis(name, profile, (requested, mode, tls), new(configFile, aclTemplate, dataDirectory), passwords);
        }

        var aclFile = Path.Combine(dataDirectory, RedisUsers.FileName);
        if (profile.Topology == RedisTopology.Cluster)
        {
            return builder.AddLocalRedisCluster(name, profile, new(requested, mode, configFile, aclTemplate, dataDirectory, passwords, tls));
        }

        var redis = mode == RedisMode.Container
            ? builder.AddContainerRedis(name, profile, configFile, aclFile, passwords)
            : builder.AddLocalRedis(name, profile, configFile, dataDirectory, passwords, tls);

        // Both modes: users.acl rendered with the generated passwords just before redis-server starts, mode 0600.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis.Resource, async (_, cancellationToken) =>
            await WriteUsersFileAsync(aclTemplate, aclFile, await passwords.ResolveAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false));

        return redis.WithAnnotation(new RedisUsersAnnotation(passwords, aclFile)).WithBookstoreRedisCommands();
    }

    /// <summary>
    /// Gives a service what it needs besides the connection string to reach <paramref name="cache"/>: with TLS on, the CA
    /// to trust (<c>Bookstore:Redis:Tls:CaCertificateFile</c>). Nothing when TLS is off.
    /// </summary>
    public static IResourceBuilder<T> WithRedisTlsTrust<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> cache)
        where T : IResourceWithEnvironment
    {
        if (cache.Resource.Annotations.OfType<RedisTlsAnnotation>().SingleOrDefault() is { Settings.CaCertificateFile: { } ca })
        {
            builder.WithEnvironment(RedisTlsSettings.ServiceCaCertificateVariable, ca);
        }

        return builder;
    }

    /// <summary>
    /// The services read <c>REDIS_HOST</c> and <c>REDIS_PASSWORD</c> too (they inherit the AppHost's environment), and
    /// they override the connection string: so the Redis the AppHost runs must be on loopback, and the app user's
    /// password is <c>REDIS_PASSWORD</c> when it is given (<c>REDIS_PORT</c> is the port already, see <see cref="PortKey"/>).
    /// </summary>
    private static void AdoptServiceConnectionSettings(IConfiguration configuration, string name)
    {
        if (configuration[HostKey] is { Length: > 0 } host
            && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            && !(System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address)))
        {
            throw new DistributedApplicationException(
                $"REDIS_HOST ('{HostKey}') is '{host}', but the AppHost runs Redis on this machine's loopback, where the services would not find it. " +
                $"Unset it (or set it to localhost), or use that Redis: '{RedisModeResolver.ConfigurationKey}=external' with 'ConnectionStrings:{name}'.");
        }

        if (configuration[PasswordKey] is { Length: > 0 } password)
        {
            if (password.Contains(',', StringComparison.Ordinal))
            {
                throw new DistributedApplicationException(
                    $"REDIS_PASSWORD ('{PasswordKey}') contains a comma, which a Redis connection string cannot carry; choose a password without commas.");
            }

            // An Aspire parameter takes its value from configuration before it generates one.
            configuration[$"Parameters:{name}-password"] = password;
        }
    }

    // Never special characters: StackExchange.Redis connection strings cannot carry commas.
    internal static IResourceBuilder<ParameterResource> AddPassword(IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

    private static IResourceBuilder<IResourceWithConnectionString> AddContainerRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        BookstoreProfile profile,
        string configFile,
        string aclFile,
        RedisUserParameters passwords)
    {
        var redis = builder.AddRedis(name, port: ReadPort(builder.Configuration), password: passwords.App)
            .WithBindMount(configFile, ContainerConfigPath, isReadOnly: true)
            .WithBindMount(aclFile, ContainerAclPath, isReadOnly: true)
            .WithDataVolume()
            .WithArgs(context =>
            {
                // AddRedis runs "sh -c 'redis-server --requirepass $REDIS_PASSWORD ...'" without a config file;
                // replace that command so the container loads redis/redis.conf and the users like the local mode does.
                context.Args.Clear();
                context.Args.Add("-c");
                context.Args.Add(string.Join(' ', ContainerServerCommand(profile)));
            });

        // Aspire's health check would log in as the app user and ask for INFO and CONFIG, which the ACL refuses;
        // the local mode's PING check, logged in as bookstore-monitor with the least-privilege handshake, serves both modes.
        string? monitorConnectionString = null;
        var healthCheckKey = $"{name}_monitor_check";
        var healthCheck = new RedisPingHealthCheck(name, () => monitorConnectionString, tls: null);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => healthCheck, failureStatus: null, tags: null));
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis.Resource, async (_, cancellationToken) =>
        {
            var monitor = RedisUserConnection.Expression(redis.Resource.PrimaryEndpoint, RedisUsers.Monitor, passwords.Monitor.Resource);
            monitorConnectionString = await monitor.GetValueAsync(cancellationToken).ConfigureAwait(false) + "," + MonitorHandshake;
        });
        redis.WithAnnotation(new HealthCheckAnnotation(healthCheckKey), ResourceAnnotationMutationBehavior.Replace);

        // Aspire's Redis connection string has no user; the services connect as bookstore-app.
        return redis.WithConnectionStringRedirection(new RedisUserConnection(
            name + "-app-connection", redis.Resource.PrimaryEndpoint, RedisUsers.App, passwords.App.Resource));
    }

    /// <summary>
    /// The shell command the container runs: no password in it, the users come from the mounted ACL file (which
    /// holds only password hashes). The container runs it as root, so the 0600 file owned by the host user is readable.
    /// </summary>
    public static IEnumerable<string> ContainerServerCommand(BookstoreProfile profile)
    {
        yield return "redis-server";
        yield return ContainerConfigPath;
        yield return "--aclfile";
        yield return ContainerAclPath;
        yield return "--dir";
        yield return "/data";
        foreach (var setting in ProfileSettings(profile))
        {
            yield return "--" + setting.Key;
            yield return setting.Value;
        }

        foreach (var command in DisabledCommands(profile))
        {
            yield return "--rename-command";
            yield return command;
            yield return "''";
        }
    }

    /// <summary>Commands removed from the server under the profile (Production: the seed's rename-command list).</summary>
    public static IReadOnlyList<string> DisabledCommands(BookstoreProfile profile) =>
        profile.Name == BookstoreProfile.Production.Name ? RedisUsers.ProductionDisabledCommands : [];

    /// <summary>
    /// Gives a service <c>ConnectionStrings:{cache}-monitor</c>, the <c>bookstore-monitor</c> identity its
    /// RedisServerMonitor polls with. Nothing to add for an external Redis, whose users are not ours.
    /// </summary>
    public static IResourceBuilder<T> WithBookstoreRedisMonitor<T>(this IResourceBuilder<T> service, IResourceBuilder<IResourceWithConnectionString> cache)
        where T : IResourceWithEnvironment
    {
        if (cache.Resource is RedisClusterResource cluster)
        {
            return service.WithEnvironment($"ConnectionStrings__{cache.Resource.Name}-monitor", cluster.MonitorConnectionString);
        }

        if (cache.Resource.Annotations.OfType<RedisUsersAnnotation>().SingleOrDefault() is not { } users)
        {
            return service;
        }

        var variable = $"ConnectionStrings__{cache.Resource.Name}-monitor";
        if (cache.Resource is ReplicatedRedisResource replicated)
        {
            // Through the Sentinels, like the services' own connection: the monitor follows the primary too.
            return service.WithEnvironment(variable, replicated.ConnectionStringAs(RedisUsers.Monitor, users.Passwords.Monitor.Resource));
        }

        var endpoint = new EndpointReference((IResourceWithEndpoints)cache.Resource, LocalRedisResource.PrimaryEndpointName);
        return service.WithEnvironment(
            variable,
            RedisUserConnection.Expression(
                endpoint, RedisUsers.Monitor, users.Passwords.Monitor.Resource, (cache.Resource as LocalRedisResource)?.ConnectionStringOptions ?? string.Empty));
    }

    /// <summary>The server settings that come from the profile (and the <c>REDIS_*</c> overrides) rather than redis.conf.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ProfileSettings(BookstoreProfile profile) =>
    [
        new("maxmemory", profile.MaxMemory),
        new("maxclients", profile.MaxClients.ToString(CultureInfo.InvariantCulture)),
        new("appendfsync", profile.AppendFsync),
        new("maxmemory-policy", profile.EvictionPolicy),
        new("loglevel", profile.ServerLogLevel),
    ];

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        BookstoreProfile profile,
        string configFile,
        string dataDirectory,
        RedisUserParameters passwords,
        RedisTlsSettings? tls)
    {
        var port = ReadPort(builder.Configuration) ?? LoopbackPort.FindFree();
        var resource = new LocalRedisResource(name, dataDirectory, passwords.App.Resource) { ConnectionStringOptions = tls?.ConnectionStringOptions ?? string.Empty };

        string? connectionString = null;
        var healthCheckKey = $"{name}_check";
        var healthCheck = new RedisPingHealthCheck(name, () => connectionString, tls);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => healthCheck, failureStatus: null, tags: null));

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (_, cancellationToken) =>
        {
            Directory.CreateDirectory(dataDirectory);
            await WriteOwnerOnlyFileAsync(resource.RuntimeConfigPath, RenderRuntimeConfig(configFile, dataDirectory, port, profile, tls), cancellationToken)
                .ConfigureAwait(false);

            // The AppHost's own health check reads as the monitor user: PING and INFO are all it needs.
            var monitorPassword = await passwords.Monitor.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false);
            connectionString = LocalMonitorConnectionString(port, monitorPassword ?? string.Empty, resource.ConnectionStringOptions);
        });

        var local = builder.AddResource(resource);
        if (tls is not null)
        {
            local.WithAnnotation(new RedisTlsAnnotation(tls));
        }

        return local
            .WithEndpoint(name: LocalRedisResource.PrimaryEndpointName, scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithArgs(resource.RuntimeConfigPath)
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>The AppHost's own connection to a redis-server on this machine's loopback as <c>bookstore-monitor</c> (its health checks).</summary>
    internal static string LocalMonitorConnectionString(int port, string monitorPassword, string options = "") => string.Create(
        CultureInfo.InvariantCulture, $"127.0.0.1:{port},user={RedisUsers.Monitor},password={monitorPassword},{MonitorHandshake}{options}");

    /// <summary>
    /// Connection-string options that keep StackExchange.Redis to what <c>bookstore-monitor</c> may run: no CONFIG or
    /// CLUSTER, no tie-breaker key and no configuration channel (the services set the same in code).
    /// </summary>
    public const string MonitorHandshake = "tiebreaker=,configChannel=,$CONFIG=,$CLUSTER=,$SENTINEL=,$ROLE=";

    /// <summary>
    /// The file redis-server is started with (mode 0600, in the git-ignored data folder). The users and their
    /// password hashes are in <c>users.acl</c> beside it, so no password appears in the process arguments.
    /// <paramref name="renamedCommands"/> maps a command the profile disables to the name it keeps instead of none
    /// (the replicated topology: Sentinel must still run CONFIG REWRITE during a failover, under that name).
    /// </summary>
    public static string RenderRuntimeConfig(
        string configFile,
        string dataDirectory,
        int port,
        BookstoreProfile profile,
        RedisTlsSettings? tls = null,
        IReadOnlyDictionary<string, string>? renamedCommands = null)
    {
        var text = new StringBuilder();
        text.AppendLine("# Rendered by Bookstore.AppHost at start-up; do not edit or commit.");
        text.AppendLine(CultureInfo.InvariantCulture, $"include {QuoteConfigValue(configFile)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        text.AppendLine("bind 127.0.0.1 -::1");
        text.AppendLine("protected-mode yes");
        text.AppendLine(CultureInfo.InvariantCulture, $"dir {QuoteConfigValue(dataDirectory)}");
        foreach (var setting in ProfileSettings(profile))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{setting.Key} {setting.Value}");
        }

        // The users and their password hashes; the default user is off, so there is no requirepass.
        text.AppendLine(CultureInfo.InvariantCulture, $"aclfile {QuoteConfigValue(Path.Combine(dataDirectory, RedisUsers.FileName))}");
        foreach (var command in DisabledCommands(profile))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"rename-command {command} {QuoteConfigValue(renamedCommands?.GetValueOrDefault(command) ?? string.Empty)}");
        }

        AppendTls(text, port, tls);
        return text.ToString();
    }

    /// <summary>TLS last, so its <c>port 0</c> closes the plain-text port set above and the same port speaks TLS only.</summary>
    private static void AppendTls(StringBuilder text, int port, RedisTlsSettings? tls)
    {
        if (tls is null)
        {
            return;
        }

        text.AppendLine("# TLS only: the plain-text listener is off.");
        foreach (var setting in tls.ServerSettings(port))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{setting.Key} {QuoteConfigValue(setting.Value)}");
        }
    }

    private static string QuoteConfigValue(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary><paramref name="aclTemplate"/> rendered with <paramref name="passwords"/> into <paramref name="aclFile"/> (mode 0600), its folder made first.</summary>
    internal static async Task WriteUsersFileAsync(string aclTemplate, string aclFile, RedisUserPasswords passwords, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(aclFile)!);
        var rendered = RedisUsers.Render(await File.ReadAllTextAsync(aclTemplate, cancellationToken).ConfigureAwait(false), passwords);
        await WriteOwnerOnlyFileAsync(aclFile, rendered, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task WriteOwnerOnlyFileAsync(string path, string contents, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await writer.WriteAsync(contents.AsMemory(), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only when the file is new; an older file keeps being tightened here.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    internal static int? ReadPort(IConfiguration configuration)
    {
        var value = configuration[PortKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new DistributedApplicationException($"'{PortKey}' is '{value}'; it must be a TCP port between 1 and 65535.");
    }

}
