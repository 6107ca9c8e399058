using System.Net;
using Bookstore.Caching.Configuration;
using StackExchange.Redis;

namespace Bookstore.Caching.Connection;

/// <summary>Applies <see cref="RedisOptions"/> to the StackExchange.Redis configuration Aspire builds from the connection string.</summary>
internal static class RedisClientConfiguration
{
    public static void Apply(ConfigurationOptions configuration, RedisOptions options, string applicationName)
    {
        // Redis may start after the service; the multiplexer keeps retrying instead of failing start-up.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = options.ConnectTimeoutMs;
        configuration.SyncTimeout = options.OperationTimeoutMs;
        configuration.AsyncTimeout = options.OperationTimeoutMs;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(options.ReconnectBaseDelayMs, options.ReconnectMaxDelayMs);

        // A cache must answer "miss" at once while Redis is away, not queue commands until they time out.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName = options.ClientName ?? ClientNameFor(applicationName);

        if (options.Host is { } host)
        {
            var port = options.Port ?? configuration.EndPoints.Select(PortOf).FirstOrDefault(p => p > 0);
            configuration.EndPoints.Clear();
            configuration.EndPoints.Add(host, port > 0 ? port : 6379);
        }
        else if (options.Port is { } port)
        {
            var hosts = configuration.EndPoints.Select(HostOf).Where(h => h is not null).Distinct().ToList();
            configuration.EndPoints.Clear();
            foreach (var name in hosts.Count > 0 ? hosts : ["localhost"])
            {
                configuration.EndPoints.Add(name!, port);
            }
        }

        if (options.Password is { } password)
        {
            configuration.Password = password;
        }

        if (options.Database is { } database)
        {
            configuration.DefaultDatabase = database;
        }

        if (options.LeastPrivilegeHandshake)
        {
            RestrictHandshake(configuration, Lacking(ServerCommandsTheAppUserLacks, options.Topology, configuration.ServiceName));
        }

        ApplyTls(configuration, options.Tls);
    }

    private static void ApplyTls(ConfigurationOptions configuration, RedisTlsOptions tls)
    {
        if (tls.Enabled is { } enabled)
        {
            configuration.Ssl = enabled;
        }

        if (tls.SslHost is { } host)
        {
            configuration.SslHost = host;
        }

        if (tls.CaCertificateFile is { } ca)
        {
            // Accepts a chain that ends at this CA, and only chain errors: a name mismatch still fails.
            configuration.TrustIssuer(ca);
        }
    }

    /// <summary>Server commands the ACL user <c>bookstore-app</c> may not run; the client must not send them.</summary>
    public static IReadOnlyList<string> ServerCommandsTheAppUserLacks { get; } = ["INFO", "CONFIG", "CLUSTER", "SENTINEL", "ROLE"];

    /// <summary>Server commands the ACL user <c>bookstore-monitor</c> may not run (it may INFO).</summary>
    public static IReadOnlyList<string> ServerCommandsTheMonitorUserLacks { get; } = ["CONFIG", "CLUSTER", "SENTINEL", "ROLE"];

    /// <summary>
    /// <paramref name="lacking"/> under <paramref name="topology"/>. A Redis Cluster client must read the cluster's nodes
    /// and slots (CLUSTER NODES and CLUSTER SLOTS, the two subcommands redis/users.acl grants the app and monitor users),
    /// so CLUSTER stays in its command map there; every other command of the list stays out.
    /// </summary>
    public static IReadOnlyList<string> Lacking(IReadOnlyList<string> lacking, RedisTopology topology, string? serviceName = null) =>
        topology == RedisTopology.Cluster ? [.. lacking.Where(command => command != "CLUSTER")]

        // Through Sentinel (serviceName=) the client asks the Sentinels where the primary and replicas are; they let the
        // user run that and nothing else, and on the data nodes the user still has no SENTINEL.
        : topology == RedisTopology.Replicated || !string.IsNullOrEmpty(serviceName) ? [.. lacking.Where(command => command != "SENTINEL")]
        : lacking;

    /// <summary>
    /// Makes StackExchange.Redis connect with no command its ACL user is refused: without these it asks the server
    /// for INFO and CONFIG GET, subscribes to its configuration channel and reads its tie-breaker key (outside the
    /// <c>bookstore:</c> key and channel patterns). Those serve primary election in multi-primary setups, which a
    /// single Redis (with or without read replicas) or a Redis Cluster (whose discovery is CLUSTER NODES and SLOTS) does not need.
    /// </summary>
    internal static void RestrictHandshake(ConfigurationOptions configuration, IReadOnlyList<string> unavailable)
    {
        configuration.CommandMap = CommandMap.Create([.. unavailable], available: false);
        configuration.TieBreaker = string.Empty;
        configuration.ConfigurationChannel = string.Empty;

        // Without INFO the client cannot read the server version and would assume an old one; an ACL user
        // (user=... in the connection string) exists only on Redis 6.0 and later.
        if (configuration.User is not null && configuration.DefaultVersion < RedisWithAcl)
        {
            configuration.DefaultVersion = RedisWithAcl;
        }
    }

    private static readonly Version RedisWithAcl = new(6, 0, 0);

    /// <summary>A connection string from the options alone, for services started without <c>ConnectionStrings:cache</c>.</summary>
    public static string? ConnectionStringFrom(RedisOptions options) =>
        options.Host is { } host ? $"{host}:{options.Port ?? 6379}" : null;

    private static string ClientNameFor(string applicationName)
    {
        var name = new string(applicationName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray());
        return name.Length > 64 ? name[..64] : name;
    }

    private static int PortOf(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => dns.Port,
        IPEndPoint ip => ip.Port,
        _ => 0,
    };

    private static string? HostOf(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => null,
    };
}
