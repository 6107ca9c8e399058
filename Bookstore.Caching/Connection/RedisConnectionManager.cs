using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bookstore.Caching.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bookstore.Caching.Connection;

/// <summary>What the last health check and the connection events say about Redis.</summary>
public sealed record RedisConnectionHealth(
    bool IsConnected,
    DateTimeOffset? LastCheck,
    TimeSpan? LastRoundTrip,
    string? LastError,
    int ConsecutiveFailures,
    long ConnectionFailures,
    long ConnectionRestorations,
    long InternalErrors,
    TimeSpan? LastReconnectDuration);

/// <summary>
/// Owns the process's one <see cref="IConnectionMultiplexer"/> (the one Aspire's <c>AddRedisClient</c> registers):
/// counts and logs its connection events, PINGs every <see cref="RedisOptions.HealthCheckIntervalSeconds"/> and
/// keeps the result for the health endpoints, and publishes <c>bookstore.redis.connection.*</c> instruments.
/// </summary>
public sealed partial class RedisConnectionManager : BackgroundService
{
    public const string MeterName = "Bookstore.Redis";

    private readonly IConnectionMultiplexer _connection;
    private readonly RedisOptions _options;
    private readonly ILogger<RedisConnectionManager> _logger;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _pingDuration;
    private readonly Lock _gate = new();

    private static readonly TimeSpan ConnectedPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>While Redis does not answer (a command or PING timed out), how often the manager PINGs it.</summary>
    private static readonly TimeSpan StalledProbeInterval = TimeSpan.FromSeconds(1);

    private RedisConnectionHealth _health = new(false, null, null, null, 0, 0, 0, 0, null);

    /// <summary>
    /// <see cref="Stopwatch"/> timestamp of the first timeout since Redis last answered a PING; 0 while it answers.
    /// A connected Redis that stops answering (a stalled process, <c>CLIENT PAUSE</c>, a network that drops packets)
    /// raises no connection event: only timeouts tell.
    /// </summary>
    private long _stalledSince;

    /// <summary>Work to do when a connection is back after a failure (see <see cref="OnRestored"/>).</summary>
    private readonly List<Func<CancellationToken, Task<bool>>> _restorationWork = [];

    /// <summary>1 from a restoration until its work starts: the health stays Degraded meanwhile.</summary>
    private int _restorationPending;

    /// <summary>
    /// 1 while a restoration's work runs. The health stays Degraded until it is done: once L1 is dropped and before the
    /// invalidations are sent again, a read could load from Redis an entry a failover brought back.
    /// </summary>
    private int _restorationRunning;

    /// <summary>1 while a cluster topology refresh runs (see <see cref="RefreshClusterTopology"/>).</summary>
    private int _refreshingTopology;
    private long? _disconnectedAt;

    /// <summary>
    /// The connections (endpoint and type) that failed and are not back yet. StackExchange.Redis also raises
    /// ConnectionRestored when a connection it never had comes up (the subscription connection at start, say): only
    /// a connection in this set counts as restored.
    /// </summary>
    private readonly HashSet<(string? Endpoint, ConnectionType Type)> _failedConnections = [];

    /// <summary>
    /// ConnectionRestored events no failure was known for, and when they came. StackExchange.Redis raises its connection
    /// events on the thread pool, so on busy cores a quick reconnect's ConnectionRestored can run before its
    /// ConnectionFailed; a failure that finds its connection here within <see cref="UnmatchedRestoreWindow"/> is one
    /// already restored. Without this the restoration (L1 dropped, invalidations sent again) never ran.
    /// </summary>
    private readonly Dictionary<(string? Endpoint, ConnectionType Type), long> _unmatchedRestores = [];

    private static readonly TimeSpan UnmatchedRestoreWindow = TimeSpan.FromSeconds(5);

    /// <summary>Completed when a connection is restored or a command timed out: the health loop PINGs at once instead of at its next tick.</summary>
    private TaskCompletionSource _restored = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RedisConnectionManager(
        IConnectionMultiplexer connection,
        IOptions<RedisOptions> options,
        IMeterFactory meterFactory,
        ILogger<RedisConnectionManager> logger,
        TimeProvider? time = null)
    {
        _connection = connection;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _meter = meterFactory.Create(MeterName);
        _events = _meter.CreateCounter<long>("bookstore.redis.connection.events", "{event}",
            "Connection failures, restorations, internal errors, stalls (no answer within the cache timeout) and two primaries seen at once.");
        _pingDuration = _meter.CreateHistogram<double>("bookstore.redis.ping.duration", "s", "Round trip of the health-check PING.");
        _meter.CreateObservableGauge("bookstore.redis.connection.state", ObserveConnectionState, "1", "1 when the endpoint is connected, else 0; with its role (primary or replica).");

        Database = connection.GetDatabase(_options.Database ?? -1);
        ReadFlags = _options.PreferReplica ? CommandFlags.PreferReplica : CommandFlags.None;

        connection.ConnectionFailed += OnConnectionFailed;
        connection.ConnectionRestored += OnConnectionRestored;
        connection.InternalError += OnInternalError;
        _health = _health with { IsConnected = connection.IsConnected };
    }

    public IConnectionMultiplexer Connection => _connection;

    /// <summary>
    /// The multiplexer once both its interactive and its subscription connection are up, or after the connect timeout
    /// (<see cref="RedisOptions.ConnectTimeoutMs"/>) whatever its state. For subscribers that start with the process:
    /// a SUBSCRIBE sent before the subscription connection is up fails ("No connection is active/available"), even
    /// with <see cref="IConnectionMultiplexer.IsConnected"/> already true, and is logged as an error although the
    /// connection would soon be there.
    /// </summary>
    public async Task<IConnectionMultiplexer> WhenConnectedAsync(CancellationToken cancellationToken = default)
    {
        if (IsFullyConnected())
        {
            return _connection;
        }

        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRestored(object? sender, ConnectionFailedEventArgs e)
        {
            if (IsFullyConnected())
            {
                connected.TrySetResult();
            }
        }

        _connection.ConnectionRestored += OnRestored;
        try
        {
            // The event ends the wait early; the state is read again every few milliseconds too, since the event may
            // have fired before the handler was added. Past the deadline (Redis away) the caller's own error handling
            // and retries take over, as without the wait.
            var deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(_options.ConnectTimeoutMs);
            while (!IsFullyConnected() && _time.GetUtcNow() < deadline)
            {
                try
                {
                    await connected.Task.WaitAsync(ConnectedPollInterval, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        finally
        {
            _connection.ConnectionRestored -= OnRestored;
        }

        return _connection;
    }

    private bool IsFullyConnected() => _connection.IsConnected && _connection.GetSubscriber().IsConnected();

    /// <summary>The configured database (<see cref="RedisOptions.Database"/>).</summary>
    public IDatabase Database { get; }

    /// <summary>Flags for read commands: <see cref="CommandFlags.PreferReplica"/> when configured.</summary>
    public CommandFlags ReadFlags { get; }

    /// <summary>
    /// Redis is a Cluster (<see cref="RedisOptions.Topology"/>): a command over several keys must keep to one hash slot,
    /// and what concerns every key (a scan) must visit every primary.
    /// </summary>
    public bool IsCluster => _options.Topology == RedisTopology.Cluster;

    /// <summary>
    /// The servers that hold the keys: the primary, or in a cluster every primary that serves hash slots, as a connected
    /// node last described the cluster (a failed primary whose slots its replica took over is left out; one that still
    /// holds slots is kept, so a scan over every key fails while its shard is down rather than miss its keys).
    /// </summary>
    public IReadOnlyList<IServer> PrimaryServers()
    {
        var servers = _connection.GetServers();
        var nodes = IsCluster
            ? servers.Where(s => s.IsConnected && !s.IsReplica).Select(s => s.ClusterConfiguration).FirstOrDefault(c => c is not null)?.Nodes
            : null;
        if (nodes is null)
        {
            return [.. servers.Where(s => !s.IsReplica)];
        }

        var serving = nodes.Where(n => !n.IsReplica && n.Slots.Count > 0 && n.EndPoint is not null).Select(n => n.EndPoint!).ToHashSet();
        return [.. servers.Where(s => serving.Contains(s.EndPoint))];
    }

    /// <summary>
    /// Registers work to run each time a connection is restored after a failure, before the next PING and so before the
    /// health turns Healthy again: what a replica may have missed while Redis was away (invalidations it could not send,
    /// backplane messages it did not get). Work that returns false (Redis went away again) runs again at the next PING.
    /// </summary>
    public void OnRestored(Func<CancellationToken, Task<bool>> work)
    {
        lock (_gate)
        {
            _restorationWork.Add(work);
        }
    }

    /// <summary>False from a timeout until Redis answers a PING again (see <see cref="ReportTimeout"/>).</summary>
    public bool IsResponsive => Volatile.Read(ref _stalledSince) == 0;

    /// <summary>
    /// How long a <c>RedisService</c> call may wait for its reply: <see cref="RedisOptions.OperationTimeoutMs"/>, or zero
    /// while Redis is known not to answer, so each call fails at once instead of waiting out a timeout of its own.
    /// </summary>
    public TimeSpan OperationTimeout => IsResponsive ? _options.OperationTimeout : TimeSpan.Zero;

    /// <summary>How long a first connect may take (<see cref="RedisOptions.ConnectTimeoutMs"/>).</summary>
    public TimeSpan ConnectTimeout => TimeSpan.FromMilliseconds(_options.ConnectTimeoutMs);

    /// <summary>The same for a request's cache read or write (<see cref="RedisOptions.CacheTimeoutMs"/>).</summary>
    public TimeSpan CacheTimeout => IsResponsive ? _options.CacheTimeout : TimeSpan.Zero;

    /// <summary>
    /// Throws a <see cref="TimeoutException"/> at once while Redis is known not to answer, so the caller sends nothing
    /// (FusionCache then goes on without its L2 or backplane, as on any timeout).
    /// </summary>
    internal void ThrowIfStalled()
    {
        if (!IsResponsive)
        {
            throw new TimeoutException("Redis is not answering; the cache goes on without it until it answers a PING.");
        }
    }

    /// <summary>
    /// Waits for a cache-level command (an L2 call, a backplane message) at most <see cref="CacheTimeout"/>; a timeout is
    /// reported (<see cref="ReportTimeout"/>) and thrown.
    /// </summary>
    internal async Task WithinCacheTimeoutAsync(Task command, TimeProvider time, CancellationToken token)
    {
        try
        {
            await command.WaitAsync(CacheTimeout, time, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ReportTimeout();
            throw;
        }
    }

    /// <summary>
    /// A command timed out: Redis is taken as not answering (health Degraded, later calls fail at once) until a PING,
    /// sent at once and then every second, is answered.
    /// </summary>
    public void ReportTimeout()
    {
        if (Interlocked.CompareExchange(ref _stalledSince, Stopwatch.GetTimestamp(), 0) != 0)
        {
            return;
        }

        lock (_gate)
        {
            _health = _health with { LastError = RedisFailure.Timeout };
            _restored.TrySetResult();
        }

        _events.Add(1, new KeyValuePair<string, object?>("event", "stalled"));
        LogStalled(_options.CacheTimeout.TotalMilliseconds);
    }

    /// <summary>
    /// Replicated topology: more than one connected server answers as primary. It happens when a primary that stalled
    /// (SIGSTOP, a long pause) wakes after the Sentinels promoted its replica and before they demote it; the client may
    /// then send writes to it that its demotion discards. Until one primary is left, the cache behaves as while Redis
    /// does not answer: every call fails at once (reads go to the store, a session is refused with 503).
    /// </summary>
    private bool SeesTwoPrimaries()
    {
        if (_options.Topology != RedisTopology.Replicated)
        {
            return false;
        }

        var primaries = 0;
        foreach (var server in _connection.GetServers())
        {
            if (server.IsConnected && !server.IsReplica)
            {
                primaries++;
            }
        }

        return primaries > 1;
    }

    /// <summary>Two primaries seen: asks every server for its role again (the Sentinels may have demoted one since), then looks again.</summary>
    private async Task<bool> StillSeesTwoPrimariesAsync()
    {
        if (!SeesTwoPrimaries())
        {
            return false;
        }

        await _connection.ConfigureAsync().ConfigureAwait(false);
        return SeesTwoPrimaries();
    }

    /// <summary>
    /// Replicated topology: when the servers' roles change (a failover, an old primary demoted), what this process holds
    /// in L1 may have been read from a server whose data the change discarded; the restoration work (registered with
    /// <see cref="OnRestored"/>: drop L1, replay invalidations) runs as after a reconnect.
    /// </summary>
    private void NoteRoleChanges()
    {
        if (_options.Topology != RedisTopology.Replicated)
        {
            return;
        }

        var roles = string.Join(' ', _connection.GetServers().Where(s => s.IsConnected).Select(s => (s.IsReplica ? "r:" : "p:") + s.EndPoint).Order(StringComparer.Ordinal));
        var previous = Interlocked.Exchange(ref _roles, roles);
        if (previous is not null && previous != roles)
        {
            Volatile.Write(ref _restorationPending, 1);
            lock (_gate)
            {
                _restored.TrySetResult();
            }

            LogRolesChanged(previous, roles);
        }
    }

    private string? _roles;

    /// <param name="wakeTheChecker">
    /// Whether the checking loop should look again at once. Not when the loop's own check saw them: completing the task it
    /// then waits on made it run again at once, ConfigureAsync included, in a tight loop for as long as two primaries
    /// were seen (about 2,500 reconfigurations a second per process for the ~10 s Sentinel takes to demote the old
    /// primary after a failover); it looks again after <see cref="StalledProbeInterval"/>.
    /// </param>
    private void ReportTwoPrimaries(bool wakeTheChecker)
    {
        var first = Interlocked.CompareExchange(ref _stalledSince, Stopwatch.GetTimestamp(), 0) == 0;
        lock (_gate)
        {
            _health = _health with { LastCheck = _time.GetUtcNow(), LastError = RedisFailure.TwoPrimaries, ConsecutiveFailures = _health.ConsecutiveFailures + 1 };
            if (wakeTheChecker)
            {
                _restored.TrySetResult();
            }
        }

        if (first)
        {
            _events.Add(1, new KeyValuePair<string, object?>("event", "two_primaries"));
            LogTwoPrimaries();
        }
    }

    public RedisConnectionHealth Health
    {
        get
        {
            lock (_gate)
            {
                return _health with
                {
                    IsConnected = _connection.IsConnected && _health.ConsecutiveFailures == 0 && IsResponsive
                                  && Volatile.Read(ref _restorationPending) == 0 && Volatile.Read(ref _restorationRunning) == 0,
                };
            }
        }
    }

    /// <summary>
    /// PINGs the server now (in a cluster, every primary that serves slots) and records the outcome; never throws for a
    /// Redis failure.
    /// </summary>
    public async Task<RedisConnectionHealth> CheckAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            // DemandMaster: with replicas the PING must reach the primary, which takes the writes; a replica answering
            // while the primary is gone is not a healthy cache. A cluster PINGs every primary.
            var roundTrip = await (IsCluster ? PingEveryPrimaryAsync() : Database.PingAsync(CommandFlags.DemandMaster)).WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            _pingDuration.Record(roundTrip.TotalSeconds);
            if (await StillSeesTwoPrimariesAsync().ConfigureAwait(false))
            {
                ReportTwoPrimaries(wakeTheChecker: false);
                return Health;
            }

            NoteRoleChanges();

            if (Interlocked.Exchange(ref _stalledSince, 0) is var stalledSince and not 0)
            {
                LogAnswersAgain(Stopwatch.GetElapsedTime(stalledSince).TotalMilliseconds);
            }

            lock (_gate)
            {
                if (IsCluster && _health.ConsecutiveFailures > 0)
                {
                    // Every shard has an answering primary again (its replica took over, or it came back): what the cache
                    // could not send to that shard, and backplane messages a subscription there missed, are dealt with
                    // before the health turns Healthy, as after a connection is restored.
                    Volatile.Write(ref _restorationPending, 1);
                    _restored.TrySetResult();
                }

                _health = _health with
                {
                    LastCheck = _time.GetUtcNow(),
                    LastRoundTrip = roundTrip,
                    LastError = null,
                    ConsecutiveFailures = 0,
                };
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            lock (_gate)
            {
                _health = _health with
                {
                    LastCheck = _time.GetUtcNow(),
                    LastRoundTrip = null,
                    LastError = RedisFailure.Of(ex),
                    ConsecutiveFailures = _health.ConsecutiveFailures + 1,
                };
            }

            LogHealthCheckFailed(Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex);
            if (ex is TimeoutException)
            {
                ReportTimeout();
            }

            if (IsCluster)
            {
                RefreshClusterTopology();
            }
        }

        return Health;
    }

    /// <summary>The slowest PING round trip of the cluster's primaries (each one's, sent together); fails if one fails.</summary>
    private async Task<TimeSpan> PingEveryPrimaryAsync()
    {
        var roundTrips = await Task.WhenAll(PrimaryServers().Select(server => server.PingAsync())).ConfigureAwait(false);
        return roundTrips.DefaultIfEmpty(TimeSpan.Zero).Max();
    }

    /// <summary>
    /// A primary did not answer: asks the cluster for its nodes and slots again (in the background, one refresh at a time),
    /// so that once a replica has taken over the failed primary's slots, commands and the next PING go to it. Without
    /// this the client learns of a failover only when a command is redirected (MOVED) or at its periodic check.
    /// </summary>
    private void RefreshClusterTopology()
    {
        if (Interlocked.CompareExchange(ref _refreshingTopology, 1, 0) == 0)
        {
            _ = RefreshClusterTopologyAsync();
        }
    }

    private async Task RefreshClusterTopologyAsync()
    {
        try
        {
            await _connection.ConfigureAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogTopologyRefreshFailed(ex);
        }
        finally
        {
            Volatile.Write(ref _refreshingTopology, 0);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A failed PING keeps the health Degraded until a PING succeeds. Waiting for the next tick after Redis is back
        // would keep a working instance out of rotation for up to a whole interval, so a restoration or a timeout PINGs
        // at once, and while Redis does not answer the PING repeats every second.
        while (!stoppingToken.IsCancellationRequested)
        {
            Task wake;
            lock (_gate)
            {
                if (_restored.Task.IsCompleted)
                {
                    _restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wake = _restored.Task;
            }

            // Running is set before pending is cleared, so the health never reads both 0 while the work is to do.
            Volatile.Write(ref _restorationRunning, 1);
            try
            {
                if (Interlocked.Exchange(ref _restorationPending, 0) == 1 && !await RunRestorationWorkAsync(stoppingToken).ConfigureAwait(false))
                {
                    Volatile.Write(ref _restorationPending, 1);
                }
            }
            finally
            {
                Volatile.Write(ref _restorationRunning, 0);
            }

            var health = await CheckAsync(stoppingToken).ConfigureAwait(false);
            var wait = health.IsConnected || _options.HealthCheckInterval < StalledProbeInterval ? _options.HealthCheckInterval : StalledProbeInterval;
            try
            {
                await wake.WaitAsync(wait, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> RunRestorationWorkAsync(CancellationToken cancellationToken)
    {
        Func<CancellationToken, Task<bool>>[] work;
        lock (_gate)
        {
            work = [.. _restorationWork];
        }

        var done = true;
        foreach (var item in work)
        {
            try
            {
                done &= await item(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogRestorationWorkFailed(ex);
                done = false;
            }
        }

        return done;
    }

    public override void Dispose()
    {
        _connection.ConnectionFailed -= OnConnectionFailed;
        _connection.ConnectionRestored -= OnConnectionRestored;
        _connection.InternalError -= OnInternalError;
        _meter.Dispose();
        base.Dispose();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        var key = (e.EndPoint?.ToString(), e.ConnectionType);
        bool restoredAlready;
        lock (_gate)
        {
            restoredAlready = _unmatchedRestores.Remove(key, out var restoredAt) && Stopwatch.GetElapsedTime(restoredAt) < UnmatchedRestoreWindow;
            if (restoredAlready)
            {
                Volatile.Write(ref _restorationPending, 1);
                _health = _health with { ConnectionFailures = _health.ConnectionFailures + 1, ConnectionRestorations = _health.ConnectionRestorations + 1 };
            }
            else
            {
                _disconnectedAt ??= Stopwatch.GetTimestamp();
                _failedConnections.Add(key);
                _health = _health with { ConnectionFailures = _health.ConnectionFailures + 1, LastError = RedisFailure.Of(e.FailureType) };
            }

            // PING at once: with replicas or a cluster the multiplexer stays connected to the other nodes when a primary
            // goes, so only a PING that must reach the primaries turns the health Degraded before the next interval (in a
            // cluster it also starts the topology refresh that finds the promoted replica).
            _restored.TrySetResult();
        }

        _events.Add(1, new KeyValuePair<string, object?>("event", "failed"), new KeyValuePair<string, object?>("connection.type", e.ConnectionType.ToString()));
        LogConnectionFailed(e.EndPoint?.ToString(), e.ConnectionType, e.FailureType, e.Exception);
        if (restoredAlready)
        {
            _events.Add(1, new KeyValuePair<string, object?>("event", "restored"), new KeyValuePair<string, object?>("connection.type", e.ConnectionType.ToString()));
            LogConnectionRestored(e.EndPoint?.ToString(), e.ConnectionType, null);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        TimeSpan? downtime = null;
        lock (_gate)
        {
            var key = (e.EndPoint?.ToString(), e.ConnectionType);
            if (!_failedConnections.Remove(key))
            {
                // A first connect, or a restoration whose failure event has not run yet (see _unmatchedRestores); the
                // health loop still PINGs at once.
                _unmatchedRestores[key] = Stopwatch.GetTimestamp();
                _restored.TrySetResult();
                return;
            }

            if (_disconnectedAt is { } since && _connection.IsConnected)
            {
                downtime = Stopwatch.GetElapsedTime(since);
                _disconnectedAt = null;
            }

            Volatile.Write(ref _restorationPending, 1);
            _health = _health with
            {
                ConnectionRestorations = _health.ConnectionRestorations + 1,
                LastReconnectDuration = downtime ?? _health.LastReconnectDuration,
            };
            _restored.TrySetResult();
        }

        _events.Add(1, new KeyValuePair<string, object?>("event", "restored"), new KeyValuePair<string, object?>("connection.type", e.ConnectionType.ToString()));
        LogConnectionRestored(e.EndPoint?.ToString(), e.ConnectionType, downtime?.TotalMilliseconds);
        if (SeesTwoPrimaries())
        {
            ReportTwoPrimaries(wakeTheChecker: true);
        }
    }

    private void OnInternalError(object? sender, InternalErrorEventArgs e)
    {
        lock (_gate)
        {
            _health = _health with { InternalErrors = _health.InternalErrors + 1 };
        }

        _events.Add(1, new KeyValuePair<string, object?>("event", "internal_error"));
        LogInternalError(e.EndPoint?.ToString(), e.Origin, e.Exception);
    }

    private IEnumerable<Measurement<int>> ObserveConnectionState()
    {
        // With replicas or a cluster, the role tells the alert rules whether a node that takes writes is connected
        // (a disconnected node keeps the role it last had).
        foreach (var endpoint in _connection.GetEndPoints())
        {
            var server = _connection.GetServer(endpoint);
            yield return new Measurement<int>(
                server.IsConnected ? 1 : 0,
                new KeyValuePair<string, object?>("endpoint", endpoint.ToString()),
                new KeyValuePair<string, object?>("role", server.IsReplica ? "replica" : "primary"));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection to {Endpoint} ({ConnectionType}) failed: {FailureType}")]
    private partial void LogConnectionFailed(string? endpoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection to {Endpoint} ({ConnectionType}) restored after {DowntimeMs} ms")]
    private partial void LogConnectionRestored(string? endpoint, ConnectionType connectionType, double? downtimeMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "StackExchange.Redis internal error on {Endpoint} in {Origin}")]
    private partial void LogInternalError(string? endpoint, string? origin, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Redis did not answer within {TimeoutMs} ms: cache and Redis calls fail at once, and the health is Degraded, until it answers a PING")]
    private partial void LogStalled(double timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Two Redis servers answer as primary (an old primary back before the Sentinels demoted it): cache and Redis calls fail at once until one is left")]
    private partial void LogTwoPrimaries();

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis roles changed from [{Before}] to [{After}]: dropping L1 and replaying invalidations")]
    private partial void LogRolesChanged(string before, string after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "What the cache missed while Redis was away could not all be sent yet; retrying at the next PING")]
    private partial void LogRestorationWorkFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again after {StalledMs} ms without answering")]
    private partial void LogAnswersAgain(double stalledMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the Redis Cluster's nodes and slots again failed; the next failed PING tries again")]
    private partial void LogTopologyRefreshFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis health check failed after {ElapsedMs} ms")]
    private partial void LogHealthCheckFailed(double elapsedMs, Exception exception);
}
