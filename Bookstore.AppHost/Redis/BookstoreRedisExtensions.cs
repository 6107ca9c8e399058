using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Bookstore.AppHost.Local;
using Bookstore.AppHost.Profiles;
using Bookstore.AppHost.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

public static class BookstoreRedisExtensions
{
    public const string ContainerConfigPath = "/usr/local/etc/redis/redis.conf";
    public const string DataDirectoryKey = "Bookstore:Redis:DataDirectory";
    public const string PortKey = "Bookstore:Redis:Port";

    /// <summary>
    /// Adds the <c>cache</c> Redis in the mode <c>Bookstore:Redis:Mode</c> asks for (see <see cref="RedisMode"/>).
    /// Both started modes load <c>redis/redis.conf</c>, require the generated password and get the profile's
    /// memory and client limits.
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

        var configFile = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "redis", "redis.conf"));
        if (!File.Exists(configFile))
        {
            throw new DistributedApplicationException($"The Redis configuration '{configFile}' is missing; it ships with the repository.");
        }

        // Never special characters: StackExchange.Redis connection strings cannot carry commas.
        var password = builder.AddParameter(
            $"{name}-password",
            new GenerateParameterDefault { MinLength = 32, Special = false },
            secret: true,
            persist: true);

        return mode == RedisMode.Container
            ? builder.AddContainerRedis(name, profile, configFile, password)
            : builder.AddLocalRedis(name, profile, configFile, password, tls);
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

    private static IResourceBuilder<IResourceWithConnectionString> AddContainerRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        BookstoreProfile profile,
        string configFile,
        IResourceBuilder<ParameterResource> password)
    {
        return builder.AddRedis(name, port: null, password: password)
            .WithBindMount(configFile, ContainerConfigPath, isReadOnly: true)
            .WithDataVolume()
            .WithArgs(context =>
            {
                // AddRedis runs "sh -c 'redis-server --requirepass $REDIS_PASSWORD ...'" without a config file;
                // replace that command so the container loads redis/redis.conf like the local mode does.
                context.Args.Clear();
                context.Args.Add("-c");
                context.Args.Add(string.Join(' ', ContainerServerCommand(profile)));
            });
    }

    /// <summary>The shell command the container runs; the password stays in the container's environment.</summary>
    public static IEnumerable<string> ContainerServerCommand(BookstoreProfile profile)
    {
        yield return "redis-server";
        yield return ContainerConfigPath;
        yield return "--requirepass";
        yield return "$REDIS_PASSWORD";
        yield return "--dir";
        yield return "/data";
        foreach (var setting in ProfileSettings(profile))
        {
            yield return "--" + setting.Key;
            yield return setting.Value;
        }
    }

    /// <summary>The server settings that come from the profile table rather than redis.conf.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ProfileSettings(BookstoreProfile profile) =>
    [
        new("maxmemory", profile.MaxMemory),
        new("maxclients", profile.MaxClients.ToString(CultureInfo.InvariantCulture)),
        new("appendfsync", profile.AppendFsync),
    ];

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalRedis(
        this IDistributedApplicationBuilder builder,
        string name,
        BookstoreProfile profile,
        string configFile,
        IResourceBuilder<ParameterResource> password,
        RedisTlsSettings? tls)
    {
        var dataDirectory = Path.GetFullPath(
            builder.Configuration[DataDirectoryKey]
            ?? Path.Combine(builder.AppHostDirectory, ".data", "redis", profile.Name.ToLowerInvariant()));
        var port = ReadPort(builder.Configuration) ?? LoopbackPort.FindFree();

        var resource = new LocalRedisResource(name, dataDirectory, password.Resource) { ConnectionStringOptions = tls?.ConnectionStringOptions ?? string.Empty };

        string? connectionString = null;
        var healthCheckKey = $"{name}_check";
        var healthCheck = new RedisPingHealthCheck(name, () => connectionString, tls);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey, _ => healthCheck, failureStatus: null, tags: null));

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (_, cancellationToken) =>
        {
            var secret = await password.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"The parameter '{password.Resource.Name}' has no value.");
            Directory.CreateDirectory(dataDirectory);
            await WriteRuntimeConfigAsync(resource.RuntimeConfigPath, RenderRuntimeConfig(configFile, dataDirectory, port, profile, secret, tls), cancellationToken)
                .ConfigureAwait(false);
            connectionString = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port},password={secret}{resource.ConnectionStringOptions}");
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

    /// <summary>
    /// The file redis-server is started with. The password sits only here (mode 0600, in the git-ignored data
    /// folder) so it never appears in the process arguments that the dashboard and <c>ps</c> show.
    /// </summary>
    public static string RenderRuntimeConfig(
        string configFile, string dataDirectory, int port, BookstoreProfile profile, string password, RedisTlsSettings? tls = null)
    {
        var text = new StringBuilder();
        text.AppendLine("# Rendered by Bookstore.AppHost at start-up; do not edit or commit.");
        text.AppendLine(CultureInfo.InvariantCulture, $"include {QuoteConfigValue(configFile)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        text.AppendLine("bind 127.0.0.1 -::1");
        text.AppendLine(CultureInfo.InvariantCulture, $"dir {QuoteConfigValue(dataDirectory)}");
        foreach (var setting in ProfileSettings(profile))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{setting.Key} {setting.Value}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"requirepass {QuoteConfigValue(password)}");
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

    private static async Task WriteRuntimeConfigAsync(string path, string contents, CancellationToken cancellationToken)
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

    private static int? ReadPort(IConfiguration configuration)
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
