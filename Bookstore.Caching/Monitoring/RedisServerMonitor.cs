using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Bookstore.Caching.Connection;
using Bookstore.Caching.Keys;
using Bookstore.Caching.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bookstore.Caching.Monitoring;

/// <summary>
/// Polls INFO, SLOWLOG LEN and LATENCY LATEST of every node (the server, or a cluster's primaries and replicas) every
/// <see cref="RedisOptions.HealthCheckIntervalSeconds"/> (and, at <see cref="RedisMonitoringLevel.Full"/> and above, INFO
/// commandstats: calls and time per command), publishes them as <c>Bookstore.Redis</c> instruments (one measurement per
/// node, with its <c>endpoint</c>, <c>role</c> and, in a cluster, <c>shard</c>) and stores the snapshot in Redis for every
/// replica's <c>/redis/metrics</c>. Every service may run it; a lease key makes exactly one of them the poller per deployment.
/// Server commands need a connection of their own with admin commands enabled (and, with ACLs, the monitoring
/// user's credentials): that connection is the one deliberate second multiplexer, opened only by the poller.
/// The poller also compares the server's maxmemory, maxclients and maxmemory-policy with what the service was told to
/// expect (<see cref="RedisServerExpectations"/>) and logs one warning when they differ.
/// </summary>
public sealed partial class RedisServerMonitor : BackgroundService
{
    public static readonly string LeaseKey = CacheKeyBuilder.ForName("monitor", "lease");
    public static readonly string SnapshotKey = CacheKeyBuilder.ForName("monitor", "server");

    private readonly RedisConnectionManager _connection;
    private readonly RedisClientSettings _clientSettings;
    private readonly CacheSerializer _serializer;
    private readonly RedisOptions _options;
    private readonly ILogger<RedisServerMonitor> _logger;
    private readonly string _instanceId = Guid.NewGuid().ToString("N");
    private IConnectionMultiplexer? _admin;
    private volatile RedisServerSnapshot? _latest;
    private bool _expectationsChecked;

    public RedisServerMonitor(
        RedisConnectionManager connection,
        RedisClientSettings clientSettings,
        CacheSerializer serializer,
        IOptions<RedisOptions> options,
        IMeterFactory meterFactory,
        ILogger<RedisServerMonitor> logger)
    {
        _connection = connection;
        _clientSettings = clientSettings;
        _serializer = serializer;
        _options = options.Value;
        _logger = logger;

        var meter = meterFactory.Create(RedisConnectionManager.MeterName);
        Gauge(meter, "bookstore.redis.memory.used", "By", "Memory Redis uses (used_memory).", s => s.UsedMemoryBytes);
        Gauge(meter, "bookstore.redis.memory.max", "By", "The server's maxmemory (0 = no limit).", s => s.MaxMemoryBytes);
        meter.CreateObservableGauge("bookstore.redis.memory.fragmentation_ratio", () => Observe(s => s.MemoryFragmentationRatio), "1", "mem_fragmentation_ratio.");
        Gauge(meter, "bookstore.redis.clients.connected", "{client}", "Connected clients.", s => s.ConnectedClients);
        Gauge(meter, "bookstore.redis.ops_per_second", "{operation}/s", "instantaneous_ops_per_sec.", s => s.OpsPerSecond);
        Gauge(meter, "bookstore.redis.slowlog.length", "{entry}", "Entries in the slow log.", s => s.SlowLogLength);
        Gauge(meter, "bookstore.redis.replicas.connected", "{replica}", "Replicas connected to this primary.", s => s.ConnectedReplicas);
        meter.CreateObservableGauge("bookstore.redis.replication.lag", () => Observe(s => s.ReplicationLagBytes ?? 0), "By", "Bytes the first replica is behind.");
        Counter(meter, "bookstore.redis.keys.evicted", "Keys evicted under maxmemory (evicted_keys).", s => s.EvictedKeys);
        Counter(meter, "bookstore.redis.keys.expired", "Keys removed at their TTL (expired_keys).", s => s.ExpiredKeys);
        Counter(meter, "bookstore.redis.keyspace.hits", "Successful key lookups (keyspace_hits).", s => s.KeyspaceHits);
        Counter(meter, "bookstore.redis.keyspace.misses", "Failed key lookups (keyspace_misses).", s => s.KeyspaceMisses);
        meter.CreateObservableGauge("bookstore.redis.latency.latest", ObserveLatency, "ms", "LATENCY LATEST by event.");
        meter.CreateObservableCounter("bookstore.redis.commands.calls", () => ObserveCommands(c => c.Calls), "{call}", "Calls per command since the server started (INFO commandstats; monitoring level Full).");
        meter.CreateObservableCounter("bookstore.redis.commands.time", () => ObserveCommands(c => c.Microseconds / 1_000_000.0), "s", "Server time spent per command since the server started (INFO commandstats; monitoring level Full).");
    }

    /// <summary>What is collected: <see cref="RedisMonitoringLevel.Full"/> adds the per-command statistics.</summary>
    public RedisMonitoringLevel Level => _options.MonitoringLevel;

    /// <summary>The last snapshot this process took (null unless it is the poller).</summary>
    public RedisServerSnapshot? Latest => _latest;

    public bool IsPoller { get; private set; }

    /// <summary>The snapshot the poller of this deployment stored last, wherever it runs; null when none is fresh.</summary>
    public async Task<RedisServerSnapshot?> ReadSharedSnapshotAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Read past RedisService on purpose: the monitor's own traffic is not cache traffic and stays out of its metrics.
            var bytes = (byte[]?)await _connection.Database.StringGetAsync(SnapshotKey, _connection.ReadFlags)
                .WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            return bytes is not null && _serializer.TryDeserialize<RedisServerSnapshot>(bytes, out var stored) == DecodeStatus.Ok
                ? stored
                : _latest;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return _latest;
        }
    }

    /// <summary>
    /// Takes a snapshot now on the admin connection (opened on first use): of the server, or of every node the connection
    /// knows (a cluster's primaries and replicas), the first primary's figures at the top. A node that does not answer is
    /// left out of the snapshot and logged; throws when no node answers.
    /// </summary>
    public async Task<RedisServerSnapshot> PollAsync(CancellationToken cancellationToken)
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync(_clientSettings.ForMonitoring()).ConfigureAwait(false);
        var servers = _admin.GetServers();
        if (servers.Length == 1)
        {
            return _latest = await PollNodeAsync(servers[0], shard: null, cancellationToken).ConfigureAwait(false);
        }

        var shards = ShardsOf(servers);
        var polls = servers.Select(server => PollNodeOrNullAsync(server, shards.GetValueOrDefault(server.EndPoint), cancellationToken)).ToArray();
        var nodes = (await Task.WhenAll(polls).ConfigureAwait(false)).OfType<RedisServerSnapshot>()
            .OrderBy(n => n.Shard ?? int.MaxValue).ThenBy(n => n.NodeRole == "primary" ? 0 : 1).ThenBy(n => n.Endpoint, StringComparer.Ordinal)
            .ToArray();
        if (nodes.Length == 0)
        {
            throw new RedisException($"None of the {servers.Length} Redis nodes answered the server monitor.");
        }

        var first = nodes.FirstOrDefault(n => n.NodeRole == "primary") ?? nodes[0];
        return _latest = first with { Nodes = nodes };
    }

    private async Task<RedisServerSnapshot?> PollNodeOrNullAsync(IServer server, int? shard, CancellationToken cancellationToken)
    {
        try
        {
            return await PollNodeAsync(server, shard, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogNodePollFailed(server.EndPoint.ToString() ?? string.Empty, ex.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// The shard of each node of a cluster, numbered by the first hash slot of its primary (1, 2, 3), as a connected
    /// primary describes the cluster; empty for a server that is not part of a cluster.
    /// </summary>
    private static Dictionary<System.Net.EndPoint, int?> ShardsOf(IServer[] servers)
    {
        var nodes = servers.Where(s => s.IsConnected && !s.IsReplica).Select(s => s.ClusterConfiguration).FirstOrDefault(c => c is not null)?.Nodes;
        var shards = new Dictionary<System.Net.EndPoint, int?>();
        if (nodes is null)
        {
            return shards;
        }

        var primaries = nodes.Where(n => !n.IsReplica && n.Slots.Count > 0).OrderBy(n => n.Slots.Min(range => range.From)).ToList();
        foreach (var node in nodes.Where(n => n.EndPoint is not null))
        {
            var primary = node.IsReplica ? nodes.FirstOrDefault(n => n.NodeId == node.ParentNodeId) : node;
            var index = primary is null ? -1 : primaries.IndexOf(primary);
            shards[node.EndPoint!] = index < 0 ? null : index + 1;
        }

        return shards;
    }

    private async Task<RedisServerSnapshot> PollNodeAsync(IServer server, int? shard, CancellationToken cancellationToken)
    {
        var endpoint = server.EndPoint;
        var info = RedisInfoParser.Parse(await server.InfoRawAsync().WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false) ?? string.Empty);
        var slowLogLength = (long)await server.ExecuteAsync("SLOWLOG", "LEN").WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var latency = await server.LatencyLatestAsync().WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var commands = Level >= RedisMonitoringLevel.Full
            ? RedisInfoParser.CommandStats(RedisInfoParser.Parse(
                await server.InfoRawAsync("commandstats").WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false) ?? string.Empty))
            : null;

        var snapshot = new RedisServerSnapshot(
            TakenAt: DateTimeOffset.UtcNow,
            Endpoint: endpoint.ToString() ?? string.Empty,
            RedisVersion: info.GetValueOrDefault("redis_version"),
            Role: info.GetValueOrDefault("role"),
            UsedMemoryBytes: RedisInfoParser.Long(info, "used_memory"),
            MaxMemoryBytes: RedisInfoParser.Long(info, "maxmemory"),
            MemoryFragmentationRatio: RedisInfoParser.Double(info, "mem_fragmentation_ratio"),
            MaxMemoryPolicy: info.GetValueOrDefault("maxmemory_policy"),
            ConnectedClients: RedisInfoParser.Long(info, "connected_clients"),
            OpsPerSecond: RedisInfoParser.Long(info, "instantaneous_ops_per_sec"),
            KeyspaceHits: RedisInfoParser.Long(info, "keyspace_hits"),
            KeyspaceMisses: RedisInfoParser.Long(info, "keyspace_misses"),
            EvictedKeys: RedisInfoParser.Long(info, "evicted_keys"),
            ExpiredKeys: RedisInfoParser.Long(info, "expired_keys"),
            ConnectedReplicas: RedisInfoParser.Long(info, "connected_slaves"),
            ReplicationLagBytes: RedisInfoParser.ReplicationLag(info),
            SlowLogLength: slowLogLength,
            LatencyEvents: [.. latency.Select(e => new RedisLatencyEvent(e.EventName, e.DurationMilliseconds, e.MaxDurationMilliseconds))],
            MaxClients: info.ContainsKey("maxclients") ? RedisInfoParser.Long(info, "maxclients") : null,
            Commands: commands,
            Shard: shard);
        return snapshot;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval);
        do
        {
            try
            {
                IsPoller = await HoldLeaseAsync().ConfigureAwait(false);
                if (IsPoller)
                {
                    var snapshot = await PollAsync(stoppingToken).ConfigureAwait(false);
                    CheckExpectationsOnce(snapshot);
                    await _connection.Database.StringSetAsync(SnapshotKey, _serializer.Serialize(snapshot), _options.HealthCheckInterval * 3, When.Always)
                        .WaitAsync(_options.OperationTimeout, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A monitoring failure must never stop the service it runs in.
                LogPollFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override void Dispose()
    {
        _admin?.Dispose();
        base.Dispose();
    }

    /// <summary>One warning naming every setting the server does not match, the first time this process polls it.</summary>
    private void CheckExpectationsOnce(RedisServerSnapshot snapshot)
    {
        if (_expectationsChecked)
        {
            return;
        }

        _expectationsChecked = true;
        var differences = RedisServerExpectations.Differences(_options, snapshot);
        if (differences.Count > 0)
        {
            LogSettingsDiffer(snapshot.Endpoint, string.Join("; ", differences));
        }
    }

    /// <summary>Takes the lease if free, keeps it if ours; it lapses by itself if the poller dies.</summary>
    private async Task<bool> HoldLeaseAsync()
    {
        var db = _connection.Database;
        var ttl = _options.HealthCheckInterval * 3;
        if (await db.StringSetAsync(LeaseKey, _instanceId, ttl, When.NotExists).ConfigureAwait(false))
        {
            return true;
        }

        if (await db.StringGetAsync(LeaseKey).ConfigureAwait(false) == _instanceId)
        {
            await db.KeyExpireAsync(LeaseKey, ttl).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private void Gauge(Meter meter, string name, string unit, string description, Func<RedisServerSnapshot, long> read) =>
        meter.CreateObservableGauge(name, () => Observe(read), unit, description);

    private void Counter(Meter meter, string name, string description, Func<RedisServerSnapshot, long> read) =>
        meter.CreateObservableCounter(name, () => Observe(read), "{key}", description);

    /// <summary>One measurement per node polled, with its <c>endpoint</c>, <c>role</c> (primary, replica) and, in a cluster, <c>shard</c>.</summary>
    private IEnumerable<Measurement<T>> Observe<T>(Func<RedisServerSnapshot, T> read)
        where T : struct
    {
        foreach (var node in _latest?.EveryNode ?? [])
        {
            yield return new Measurement<T>(read(node), NodeTags(node));
        }
    }

    private IEnumerable<Measurement<long>> ObserveLatency()
    {
        foreach (var node in _latest?.EveryNode ?? [])
        {
            foreach (var latencyEvent in node.LatencyEvents)
            {
                yield return new Measurement<long>(latencyEvent.LatestMs, [.. NodeTags(node), new("event", latencyEvent.Event)]);
            }
        }
    }

    private IEnumerable<Measurement<T>> ObserveCommands<T>(Func<RedisCommandStats, T> read)
        where T : struct
    {
        foreach (var node in _latest?.EveryNode ?? [])
        {
            foreach (var command in node.Commands ?? [])
            {
                yield return new Measurement<T>(read(command), [.. NodeTags(node), new("command", command.Command)]);
            }
        }
    }

    private static KeyValuePair<string, object?>[] NodeTags(RedisServerSnapshot node) => node.Shard is { } shard
        ? [new("endpoint", node.Endpoint), new("role", node.NodeRole), new("shard", shard.ToString(System.Globalization.CultureInfo.InvariantCulture))]
        : [new("endpoint", node.Endpoint), new("role", node.NodeRole)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {Endpoint} does not run with the settings this service expects: {Differences}. Set the server or the service's settings so they agree")]
    private partial void LogSettingsDiffer(string endpoint, string differences);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis server monitor could not poll the node {Endpoint} ({Reason}); the others were polled")]
    private partial void LogNodePollFailed(string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis server monitor could not poll the server")]
    private partial void LogPollFailed(Exception exception);
}
