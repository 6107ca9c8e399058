using System.Globalization;
using System.Text;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// Sentinel's timing for the replicated topology. Sentinel's defaults (<c>down-after-milliseconds</c> 30 s,
/// <c>failover-timeout</c> 3 min) leave a cache without a primary for half a minute. A primary that has not answered a
/// Sentinel's PING for <see cref="DownAfterMilliseconds"/> is subjectively down; when <see cref="Quorum"/> Sentinels
/// agree, one of them promotes a replica. On loopback a redis-server answers PING in well under a millisecond, and even
/// a fork for an RDB save does not block it for seconds, so 2 s does not mistake a busy primary for a dead one.
/// <see cref="FailoverTimeoutMilliseconds"/> also spaces a Sentinel's attempts (a second one after twice this time,
/// when a vote failed); 5 s keeps a failed election from costing 20 s, and is ample to reconfigure one replica.
/// </summary>
public sealed record SentinelTimings(int DownAfterMilliseconds = 2_000, int FailoverTimeoutMilliseconds = 5_000, int Quorum = 2)
{
    public static SentinelTimings Default { get; } = new();
}

/// <summary>
/// What the replicated topology adds to the configuration of its processes: the data nodes' replication settings and
/// each Sentinel's <c>sentinel.conf</c>. Every password is a generated secret parameter; the files holding the ones
/// Redis must send in clear (<c>masterauth</c>, <c>sentinel auth-pass</c>, <c>sentinel sentinel-pass</c>) are written
/// mode 0600 in the git-ignored data folder, and the ACL rules carry only SHA-256 hashes.
/// </summary>
public static class ReplicatedRedisConfiguration
{
    /// <summary>The name the Sentinels monitor the primary under, and the services' <c>serviceName=</c>.</summary>
    public const string ServiceName = "bookstore";

    /// <summary>The Sentinels of the topology: three, so that a quorum of two survives losing one.</summary>
    public const int SentinelCount = 3;

    /// <summary>
    /// Lines for a data node's runtime configuration: the credentials it replicates with (every node, since a primary
    /// becomes a replica after a failover), and <c>replicaof</c> when it starts as a replica of <paramref name="primaryPort"/>.
    /// </summary>
    public static string DataNodeSettings(int? primaryPort, string replicationPassword)
    {
        ArgumentException.ThrowIfNullOrEmpty(replicationPassword);
        var text = new StringBuilder();
        text.AppendLine("# Replicated topology: replicas log in to the primary as bookstore-replication.");
        text.AppendLine(CultureInfo.InvariantCulture, $"masteruser {RedisUsers.Replication}");
        text.AppendLine(CultureInfo.InvariantCulture, $"masterauth {replicationPassword}");
        text.AppendLine("replica-announce-ip 127.0.0.1");
        text.AppendLine("replica-read-only yes");

        // A replica that lost its primary or is loading a full sync answers reads with MASTERDOWN instead of its old
        // data: an old primary demoted after a stall must not serve what the new primary has since changed.
        text.AppendLine("replica-serve-stale-data no");

        // One replica per primary here: waiting 5 s for more replicas to share a diskless sync only delays the first one.
        text.AppendLine("repl-diskless-sync-delay 0");
        if (primaryPort is { } port)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"replicaof 127.0.0.1 {port}");
        }

        return text.ToString();
    }

    /// <summary>
    /// A Sentinel's configuration file. Sentinel rewrites this file as it learns the topology, so it lives in the data
    /// folder; the AppHost renders it afresh at each start with the primary it knows.
    /// Users: the default user is off; <c>bookstore-sentinel</c> is what Sentinels log in to each other with;
    /// <c>bookstore-app</c> and <c>bookstore-monitor</c> may only discover the primary and its replicas and follow
    /// <c>+switch-master</c>; <c>bookstore-admin</c> may run everything (the dashboard's "Fail over now").
    /// </summary>
    public static string RenderSentinelConfig(
        int port, string dataDirectory, int primaryPort, RedisUserPasswords passwords, SentinelTimings? timings = null)
    {
        var sentinelPassword = passwords.Sentinel ?? throw new ArgumentException("The replicated topology needs the Sentinel user's password.", nameof(passwords));
        var t = timings ?? SentinelTimings.Default;
        var text = new StringBuilder();
        text.AppendLine("# Rendered by Bookstore.AppHost at start-up; Sentinel rewrites it as the topology changes. Do not commit.");
        text.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        text.AppendLine("bind 127.0.0.1");
        text.AppendLine("protected-mode yes");
        text.AppendLine("daemonize no");
        text.AppendLine(CultureInfo.InvariantCulture, $"dir \"{dataDirectory.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        text.AppendLine("sentinel announce-ip 127.0.0.1");
        text.AppendLine("sentinel resolve-hostnames no");

        // Sentinel's own users: hashes only, the default user off.
        text.AppendLine("user default off resetpass resetkeys resetchannels -@all");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"user {RedisUsers.Sentinel} on {RedisUsers.PasswordRule(sentinelPassword)} resetkeys resetchannels &__sentinel__:hello -@all +auth +hello +ping +info +client|setname +client|id +publish +subscribe +sentinel|is-master-down-by-addr +sentinel|myid +role");
        foreach (var (user, password) in new[] { (RedisUsers.App, passwords.App), (RedisUsers.Monitor, passwords.Monitor) })
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"user {user} on {RedisUsers.PasswordRule(password)} resetkeys resetchannels &+switch-master &+sentinel -@all +auth +hello +ping +info +client|setname +client|id +subscribe +unsubscribe +sentinel|get-master-addr-by-name +sentinel|replicas +sentinel|slaves +sentinel|sentinels +sentinel|masters +sentinel|master");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"user {RedisUsers.Admin} on {RedisUsers.PasswordRule(passwords.Admin)} ~* &* +@all");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel sentinel-user {RedisUsers.Sentinel}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel sentinel-pass {sentinelPassword}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel monitor {ServiceName} 127.0.0.1 {primaryPort} {t.Quorum}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-user {ServiceName} {RedisUsers.Sentinel}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-pass {ServiceName} {sentinelPassword}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {ServiceName} {t.DownAfterMilliseconds}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel failover-timeout {ServiceName} {t.FailoverTimeoutMilliseconds}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {ServiceName} 1");
        return text.ToString();
    }

    /// <summary>
    /// The services' connection string: the Sentinels, the service name, and the user. StackExchange.Redis asks the
    /// Sentinels for the primary and its replicas, and follows <c>+switch-master</c> after a failover.
    /// </summary>
    public static string ConnectionString(IEnumerable<int> sentinelPorts, string user, string password) =>
        string.Join(',', sentinelPorts.Select(p => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{p}")))
        + $",serviceName={ServiceName},user={user},password={password}";
}
