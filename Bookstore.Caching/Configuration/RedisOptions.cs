using System.ComponentModel.DataAnnotations;

namespace Bookstore.Caching.Configuration;

/// <summary>What <c>RedisServerMonitor</c> collects (<c>Bookstore:Redis:MonitoringLevel</c>; the AppHost sets it from the profile).</summary>
public enum RedisMonitoringLevel
{
    /// <summary>INFO (memory, clients, keyspace, evictions, replication), the slow log's length and LATENCY LATEST.</summary>
    Basic,

    /// <summary>Basic plus INFO commandstats: calls and server time per command.</summary>
    Full,

    /// <summary>Full, and the AppHost loads Prometheus alert rules (Production).</summary>
    FullWithAlerts,
}

/// <summary>
/// Client-side Redis settings, section <c>Bookstore:Redis</c>. The connection itself comes from
/// <c>ConnectionStrings:cache</c> (injected by Aspire); <see cref="Host"/>, <see cref="Port"/>,
/// <see cref="Password"/> and <see cref="Database"/> override its parts when set.
/// The <c>REDIS_*</c> environment variables are aliases of these settings (see <see cref="RedisEnvironmentAliases"/>).
/// </summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string SectionName = "Bookstore:Redis";

    /// <summary>Overrides the host of the connection string (<c>REDIS_HOST</c>).</summary>
    public string? Host { get; set; }

    /// <summary>Overrides the port of the connection string (<c>REDIS_PORT</c>).</summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>Logical database (<c>REDIS_DB</c>); the connection string's default database when not set.</summary>
    [Range(0, 15)]
    public int? Database { get; set; }

    /// <summary>Overrides the password of the connection string (<c>REDIS_PASSWORD</c>).</summary>
    public string? Password { get; set; }

    /// <summary>Time allowed to establish a connection, in milliseconds (<c>REDIS_CONNECTION_TIMEOUT</c>, in seconds: <c>5</c> is 5000 here).</summary>
    [Range(100, 120_000)]
    public int ConnectTimeoutMs { get; set; } = 5_000;

    /// <summary>Time allowed for one command, sync or async, in milliseconds (<c>REDIS_SOCKET_TIMEOUT</c>, in seconds: <c>5</c> is 5000 here).</summary>
    [Range(50, 60_000)]
    public int OperationTimeoutMs { get; set; } = 2_000;

    /// <summary>
    /// Time a request's cache read or write (FusionCache's L2) waits for Redis, in milliseconds, before the request goes
    /// on without it: a miss read from the store, a write left to the next one. Shorter than <see cref="OperationTimeoutMs"/>,
    /// so a Redis that stops answering costs a request at most this once; after the first such timeout every cache and
    /// <c>RedisService</c> call fails at once until a PING is answered again (<c>RedisConnectionManager</c>).
    /// </summary>
    [Range(50, 60_000)]
    public int CacheTimeoutMs { get; set; } = 500;

    /// <summary>How often the connection manager PINGs Redis and the server monitor polls it, in seconds (<c>REDIS_HEALTH_CHECK_INTERVAL</c>).</summary>
    [Range(1, 3_600)]
    public int HealthCheckIntervalSeconds { get; set; } = 10;

    /// <summary>First reconnect delay; doubles per attempt up to <see cref="ReconnectMaxDelayMs"/>.</summary>
    [Range(10, 60_000)]
    public int ReconnectBaseDelayMs { get; set; } = 250;

    [Range(100, 300_000)]
    public int ReconnectMaxDelayMs { get; set; } = 10_000;

    /// <summary>
    /// How Redis is deployed (<c>Bookstore:Redis:Topology</c>: <c>single</c>, <c>replicated</c>, <c>cluster</c>); the AppHost
    /// sets it from the profile. It decides which discovery commands the client may send.
    /// </summary>
    public RedisTopology Topology { get; set; } = RedisTopology.Single;

    /// <summary>
    /// Route reads that may be a little stale to a replica when one is connected: the cache types whose policy has
    /// <c>ReadFromReplica</c>, and the popularity scores. Writes, invalidations, Cart and Sessions always go to the primary.
    /// The AppHost turns it on in the replicated topology.
    /// </summary>
    public bool PreferReplica { get; set; }

    /// <summary>
    /// How long after a key changed (here or, by a backplane message, elsewhere) its reads go to the primary rather than
    /// a replica, in seconds: longer than a replica's lag, so the read that follows a change never loads the old value.
    /// </summary>
    [Range(1, 3_600)]
    public int ReplicaLagAllowanceSeconds { get; set; } = 10;

    /// <summary>Name shown in <c>CLIENT LIST</c>; the service's application name when not set.</summary>
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$", ErrorMessage = "ClientName may only hold letters, digits, '.', '_' and '-' (at most 64).")]
    public string? ClientName { get; set; }

    /// <summary>
    /// The server's <c>maxmemory</c> (<c>REDIS_MAXMEMORY</c>), e.g. <c>512mb</c>. The AppHost starts the Redis it runs with it;
    /// a service compares it with what INFO reports and logs one warning when they differ.
    /// </summary>
    [RegularExpression("^(?i)[0-9]+(b|kb|mb|gb)?$", ErrorMessage = "MaxMemory must be a number with an optional unit: b, kb, mb or gb.")]
    public string? MaxMemory { get; set; }

    /// <summary>
    /// The server's <c>maxclients</c> (<c>REDIS_MAX_CONNECTIONS</c>): set by the AppHost on the Redis it runs, compared with
    /// INFO by a service. A service itself multiplexes every command over one connection per endpoint.
    /// </summary>
    [Range(1, 100_000)]
    public int? MaxConnections { get; set; }

    /// <summary>
    /// The server's <c>maxmemory-policy</c> (<c>REDIS_CACHE_STRATEGY</c>: <c>lru</c>, <c>lfu</c>, <c>ttl</c> mean
    /// <c>volatile-lru</c>, <c>volatile-lfu</c>, <c>volatile-ttl</c>). The <c>volatile-*</c> policies evict only keys with a
    /// TTL, so Persistent entries (no TTL) are never evicted. Set by the AppHost on the Redis it runs, compared with INFO by a service.
    /// </summary>
    public string? EvictionPolicy { get; set; }

    /// <summary>Poll INFO / SLOWLOG / LATENCY and publish server metrics (<c>REDIS_ENABLE_MONITORING</c>).</summary>
    public bool EnableMonitoring { get; set; } = true;

    /// <summary>What the server monitor collects; see <see cref="RedisMonitoringLevel"/>.</summary>
    public RedisMonitoringLevel MonitoringLevel { get; set; } = RedisMonitoringLevel.Basic;

    /// <summary>
    /// Connect without the server commands a least-privilege ACL user lacks (INFO, CONFIG, CLUSTER, the tie-breaker key
    /// and configuration channel). Turn off for Redis Cluster or Sentinel, whose discovery needs them.
    /// </summary>
    public bool LeastPrivilegeHandshake { get; set; } = true;

    /// <summary>TLS to Redis (<c>Bookstore:Redis:Tls</c>); the connection string's <c>ssl=true</c> turns it on as well.</summary>
    public RedisTlsOptions Tls { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Tls.CaCertificateFile is { } ca && !File.Exists(ca))
        {
            yield return new ValidationResult(
                $"Tls:CaCertificateFile '{ca}' does not exist; give the path of the PEM certificate of the CA that issued the Redis server's certificate.",
                [nameof(Tls)]);
        }

        if (Tls.SslHost is { } host && (host.Length == 0 || host.Contains(',', StringComparison.Ordinal) || host.Contains(' ', StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"Tls:SslHost '{host}' must be a host name without commas or spaces.", [nameof(Tls)]);
        }
    }

    internal TimeSpan OperationTimeout => TimeSpan.FromMilliseconds(OperationTimeoutMs);

    internal TimeSpan CacheTimeout => TimeSpan.FromMilliseconds(Math.Min(CacheTimeoutMs, OperationTimeoutMs));

    internal TimeSpan HealthCheckInterval => TimeSpan.FromSeconds(HealthCheckIntervalSeconds);
}

/// <summary>Client TLS settings, section <c>Bookstore:Redis:Tls</c>.</summary>
public sealed class RedisTlsOptions
{
    /// <summary>Use TLS; when not set the connection string decides (<c>ssl=true</c>).</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// A PEM certificate of the CA that issued the server's certificate, trusted for this connection only (a private CA
    /// need not be in the machine's store). The server's name must still match its certificate.
    /// </summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>The name the server certificate is checked against, when it differs from the host connected to.</summary>
    public string? SslHost { get; set; }
}
