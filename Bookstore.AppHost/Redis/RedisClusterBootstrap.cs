using System.Globalization;
using System.Net;
using System.Text;
using Aspire.Hosting;
using Bookstore.AppHost.Profiles;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The cluster topology's Redis Cluster: three primaries, each with one replica, on six cluster-enabled redis-server
/// nodes. It renders a node's configuration and turns six empty nodes into the cluster the way
/// <c>redis-cli --cluster create ... --cluster-replicas 1</c> does (a config epoch per node, a third of the hash slots per
/// primary, MEET, REPLICATE), over a connection as <c>bookstore-admin</c>, so no password appears on a command line.
/// Nodes that already form the cluster (a later start: each reloaded its <c>nodes.conf</c>) are left as they are.
/// </summary>
public static class RedisClusterBootstrap
{
    public const int Shards = 3;

    public const int HashSlots = 16_384;

    /// <summary>The file each node keeps the cluster's state in, in its own data folder (Redis writes it).</summary>
    public const string NodesFileName = "nodes.conf";

    /// <summary>
    /// <c>cluster-node-timeout</c> of the nodes the AppHost runs: how long a primary may not answer its peers before they
    /// take it as failed and its replica is promoted. Redis's 15 s default would leave a shard's keys unreachable for
    /// about 18 s after a primary dies; 5 s gives a failover in about 8 s (7.7 and 8.0 s measured on this project's
    /// 2-core machine), while a node busy for a few seconds (a fork on a loaded laptop) is not failed over by mistake.
    /// </summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A node's configuration file: the single server's (<see cref="BookstoreRedisExtensions.RenderRuntimeConfig"/>: redis.conf,
    /// port, loopback, its own data folder, the profile's limits, the ACL users) plus the cluster settings, and the
    /// credentials a replica logs in to its primary with (every node: a primary becomes a replica after a failover).
    /// <c>masterauth</c> is the one password Redis must hold in clear; the file is written mode 0600 in the git-ignored
    /// data folder, as the users' hashes are.
    /// </summary>
    public static string RenderNodeConfig(
        string configFile, string nodeDirectory, int port, BookstoreProfile profile, TimeSpan nodeTimeout, string replicationPassword)
    {
        ArgumentException.ThrowIfNullOrEmpty(replicationPassword);
        var text = new StringBuilder(BookstoreRedisExtensions.RenderRuntimeConfig(configFile, nodeDirectory, port, profile));
        text.AppendLine(CultureInfo.InvariantCulture, $"masteruser {RedisUsers.Replication}");
        text.AppendLine(CultureInfo.InvariantCulture, $"masterauth {replicationPassword}");

        // One replica per primary: waiting for more to share a diskless sync would only delay its first sync.
        text.AppendLine("repl-diskless-sync-delay 0");
        text.AppendLine("cluster-enabled yes");
        text.AppendLine(CultureInfo.InvariantCulture, $"cluster-config-file {NodesFileName}");
        text.AppendLine(CultureInfo.InvariantCulture, $"cluster-node-timeout {(long)nodeTimeout.TotalMilliseconds}");

        // A cache, not a database: while one shard has no reachable primary, the other shards keep serving their keys.
        text.AppendLine("cluster-require-full-coverage no");
        return text.ToString();
    }

    /// <summary>The port a node's <c>nodes.conf</c> says it listens on (its <c>myself</c> line), or null without one.</summary>
    public static int? PortInNodesFile(string nodeDirectory)
    {
        var path = Path.Combine(nodeDirectory, NodesFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        // <id> <ip>:<port>@<bus-port>[,<hostname>] <flags> ...: the port of the line whose flags name this node.
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && fields[2].Split(',').Contains("myself"))
            {
                var address = fields[1].Split('@')[0];
                var colon = address.LastIndexOf(':');
                if (colon >= 0 && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
                {
                    return port;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Makes the cluster of <paramref name="primaries"/> and their <paramref name="replicas"/> (replica i replicates primary i)
    /// unless the nodes already form it. True when it was created now, false when it already existed. Throws when the
    /// nodes are partly set up (some in a cluster, some not), which only a fresh start can repair.
    /// </summary>
    public static async Task<bool> CreateAsync(
        IReadOnlyList<EndPoint> primaries, IReadOnlyList<EndPoint> replicas, string adminUser, string adminPassword, CancellationToken cancellationToken)
    {
        if (primaries.Count != Shards || replicas.Count != Shards)
        {
            throw new ArgumentException($"A cluster here has {Shards} primaries and {Shards} replicas.", nameof(primaries));
        }

        await using var connection = await ConnectAsync([.. primaries, .. replicas], adminUser, adminPassword, abortOnConnectFail: true).ConfigureAwait(false);
        var nodes = primaries.Concat(replicas).Select(endpoint => connection.GetServer(endpoint)).ToArray();
        var states = await Task.WhenAll(nodes.Select(ClusterInfoAsync)).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (states.All(s => s.GetValueOrDefault("cluster_known_nodes") == "6"))
        {
            return false;
        }

        if (!states.All(s => s.GetValueOrDefault("cluster_known_nodes") == "1" && s.GetValueOrDefault("cluster_slots_assigned") == "0"))
        {
            throw new InvalidOperationException(
                "The Redis Cluster nodes are partly set up (known nodes per node: " +
                string.Join(", ", states.Select(s => s.GetValueOrDefault("cluster_known_nodes"))) + "); they can neither be reused nor made into a new cluster.");
        }

        var ids = new string[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            ids[i] = (await nodes[i].ExecuteAsync("CLUSTER", "MYID").WaitAsync(cancellationToken).ConfigureAwait(false)).ToString(out _)!;

            // Distinct epochs from the start, as redis-cli sets them, so no node has to win an epoch collision first.
            await nodes[i].ExecuteAsync("CLUSTER", "SET-CONFIG-EPOCH", i + 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var shard = 0; shard < Shards; shard++)
        {
            var (first, last) = SlotRange(shard);
            await nodes[shard].ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", first, last).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var node in nodes.Skip(1))
        {
            var address = await AddressOfAsync(node.EndPoint).ConfigureAwait(false);
            await nodes[0].ExecuteAsync("CLUSTER", "MEET", address.Address.ToString(), address.Port).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // A replica can replicate only a primary it already knows.
        await WaitUntilAsync(async () => (await Task.WhenAll(nodes.Select(n => KnowsAllAsync(n, ids))).ConfigureAwait(false)).All(known => known), cancellationToken)
            .ConfigureAwait(false);
        for (var shard = 0; shard < Shards; shard++)
        {
            await nodes[Shards + shard].ExecuteAsync("CLUSTER", "REPLICATE", ids[shard]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Waits until every node of <paramref name="endpoints"/> says <c>cluster_state:ok</c>, sees every hash slot served, and
    /// every replica's link to its primary is up, as <paramref name="user"/> (the monitor user may: CLUSTER INFO and INFO).
    /// </summary>
    public static async Task WaitUntilReadyAsync(IReadOnlyList<EndPoint> endpoints, string user, string password, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(endpoints, user, password, abortOnConnectFail: true).ConfigureAwait(false);
        var nodes = endpoints.Select(endpoint => connection.GetServer(endpoint)).ToArray();
        await WaitUntilAsync(async () => (await Task.WhenAll(nodes.Select(IsReadyAsync)).ConfigureAwait(false)).All(ready => ready), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="node"/> takes part in a whole cluster: state ok, every slot served, a replica's link up, and
    /// its view of the cluster settled (three primaries serving slots, three replicas, no node failing or being met).
    /// </summary>
    public static async Task<bool> IsReadyAsync(IServer node)
    {
        try
        {
            var state = await ClusterInfoAsync(node).ConfigureAwait(false);
            if (state.GetValueOrDefault("cluster_state") != "ok" || state.GetValueOrDefault("cluster_slots_ok") != HashSlots.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }

            // <id> <address> <flags> <primary id or -> <ping> <pong> <epoch> <link> [<slot ranges>...]
            var nodes = (await TextOfAsync(node, "NODES").ConfigureAwait(false))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => line.Split(' '))
                .ToArray();
            var flags = nodes.Select(fields => fields[2].Split(',')).ToArray();
            if (nodes.Count(fields => fields[2].Contains("master", StringComparison.Ordinal) && fields.Length > 8) != Shards
                || flags.Count(f => f.Contains("slave")) != Shards
                || flags.Any(f => f.Contains("fail") || f.Contains("fail?") || f.Contains("handshake")))
            {
                return false;
            }

            var replication = (await node.InfoAsync("replication").ConfigureAwait(false)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            return replication.GetValueOrDefault("role") == "master" || replication.GetValueOrDefault("master_link_status") == "up";
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The first and last hash slot of a shard (0-based): a third of the 16384 slots each, as redis-cli splits them.</summary>
    public static (int First, int Last) SlotRange(int shard) =>
        (shard * HashSlots / Shards, ((shard + 1) * HashSlots / Shards) - 1);

    /// <summary>CLUSTER INFO as name/value pairs.</summary>
    public static async Task<Dictionary<string, string>> ClusterInfoAsync(IServer node)
    {
        var text = await TextOfAsync(node, "INFO").ConfigureAwait(false);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
    }

    private static async Task<bool> KnowsAllAsync(IServer node, string[] ids)
    {
        var lines = (await TextOfAsync(node, "NODES").ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return ids.All(id => lines.Any(line => line.StartsWith(id + " ", StringComparison.Ordinal) && !line.Contains("handshake", StringComparison.Ordinal)));
    }

    /// <summary>CLUSTER INFO or NODES as text: over RESP3 the reply is a verbatim string, whose <c>txt:</c> marker is not text.</summary>
    private static async Task<string> TextOfAsync(IServer node, string subcommand) =>
        (await node.ExecuteAsync("CLUSTER", subcommand).ConfigureAwait(false)).ToString(out _) ?? string.Empty;

    private static async Task<IPEndPoint> AddressOfAsync(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => ip,
        DnsEndPoint dns => new IPEndPoint((await Dns.GetHostAddressesAsync(dns.Host).ConfigureAwait(false))[0], dns.Port),
        _ => throw new ArgumentException($"'{endpoint}' is not an address a cluster node can MEET.", nameof(endpoint)),
    };

    /// <summary>
    /// A connection to <paramref name="endpoints"/> as <paramref name="user"/> with server commands allowed, sending only
    /// what the monitor user may run while it connects. With <paramref name="abortOnConnectFail"/> off it returns at once and
    /// keeps connecting (a health check's lasting connection).
    /// </summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(IReadOnlyList<EndPoint> endpoints, string user, string password, bool abortOnConnectFail)
    {
        var configuration = new ConfigurationOptions
        {
            User = user,
            Password = password,
            AllowAdmin = true,
            AbortOnConnectFail = abortOnConnectFail,
            ConnectTimeout = 5_000,
            ClientName = "bookstore-apphost-cluster",

            // What the monitor user may run, as the services' monitor connects: the cluster's discovery, no CONFIG, no
            // tie-breaker key and no configuration channel (it has no key and no channel).
            CommandMap = CommandMap.Create(["CONFIG", "SENTINEL", "ROLE"], available: false),
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,
        };
        foreach (var endpoint in endpoints)
        {
            configuration.EndPoints.Add(endpoint);
        }

        return ConnectionMultiplexer.ConnectAsync(configuration);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition().ConfigureAwait(false))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }
}
