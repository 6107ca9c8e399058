using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Bookstore.AppHost.Redis;

/// <summary>
/// The replicated topology's drills, behind the dashboard commands "Fail over now" and "Pause primary for 10 s": each
/// disturbs the primary as <c>bookstore-admin</c> and measures how long until a write through the Sentinels succeeds
/// again, the way a client finds the primary (ask a Sentinel, write there). Kept apart from the dashboard so tests run
/// them against real processes.
/// </summary>
public sealed partial class RedisFailoverDrills(IReadOnlyList<int> sentinelPorts, string adminPassword, ILogger logger)
{
    /// <summary>The key each probe write sets (under the app's prefix, so the same ACL patterns cover it).</summary>
    public const string ProbeKey = "bookstore:drill:last-write";

    /// <summary>How long the primary is paused by <see cref="PausePrimaryAsync"/>.</summary>
    public static readonly TimeSpan PauseDuration = TimeSpan.FromSeconds(10);

    /// <summary>How long a drill waits for writes to succeed again before it reports a failure.</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a probe waits for a node: a paused primary takes the connection but answers nothing, and the Sentinels
    /// are asked again only once the probe gave up on it; on loopback a node that answers at all does so in milliseconds.
    /// </summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>SENTINEL FAILOVER bookstore</c>: a replica is promoted, the old primary becomes its replica. Writes count as
    /// back once one succeeds on a primary other than the old one.
    /// </summary>
    public async Task<RedisDrillOutcome> FailOverNowAsync(CancellationToken cancellationToken)
    {
        await using var sentinels = new SentinelClient(sentinelPorts, adminPassword);
        var before = await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("No Sentinel answered: is the cache resource running?");

        var clock = Stopwatch.StartNew();
        await sentinels.FailOverAsync(cancellationToken).ConfigureAwait(false);
        var after = await UntilWriteSucceedsAsync(sentinels, port => port != before, clock, cancellationToken).ConfigureAwait(false);
        var outcome = new RedisDrillOutcome("Fail over now", before, after.Port, after.Elapsed);
        LogDrill(outcome.Drill, SentinelClient.Address(before), SentinelClient.Address(after.Port), Math.Round(after.Elapsed.TotalMilliseconds));
        return outcome;
    }

    /// <summary>
    /// <c>CLIENT PAUSE 10000 ALL</c> on the primary: it answers no one, Sentinel's PINGs included, for 10 s. The
    /// Sentinels fail it over after <c>down-after-milliseconds</c> unless the pause ends first; when it wakes it takes
    /// the Sentinels' orders and becomes a replica. Writes count as back once one succeeds on any primary.
    /// </summary>
    public async Task<RedisDrillOutcome> PausePrimaryAsync(CancellationToken cancellationToken)
    {
        await using var sentinels = new SentinelClient(sentinelPorts, adminPassword);
        var before = await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("No Sentinel answered: is the cache resource running?");

        Stopwatch clock;
        var primary = await ConnectAsync(before, SentinelClient.Timeout).ConfigureAwait(false);
        try
        {
            await primary.GetDatabase().ExecuteAsync(
                "CLIENT", "PAUSE", ((long)PauseDuration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "ALL").ConfigureAwait(false);
            clock = Stopwatch.StartNew();
        }
        finally
        {
            await CloseAsync(primary).ConfigureAwait(false);
        }

        var after = await UntilWriteSucceedsAsync(sentinels, _ => true, clock, cancellationToken).ConfigureAwait(false);
        var outcome = new RedisDrillOutcome("Pause primary for 10 s", before, after.Port, after.Elapsed);
        LogDrill(outcome.Drill, SentinelClient.Address(before), SentinelClient.Address(after.Port), Math.Round(after.Elapsed.TotalMilliseconds));
        return outcome;
    }

    private async Task<(int Port, TimeSpan Elapsed)> UntilWriteSucceedsAsync(
        SentinelClient sentinels, Func<int, bool> accepted, Stopwatch clock, CancellationToken cancellationToken)
    {
        var connections = new Dictionary<int, ConnectionMultiplexer>();
        try
        {
            while (clock.Elapsed < GiveUpAfter)
            {
                if (await sentinels.PrimaryPortAsync(cancellationToken).ConfigureAwait(false) is { } port && accepted(port))
                {
                    try
                    {
                        if (!connections.TryGetValue(port, out var connection))
                        {
                            connections[port] = connection = await ConnectAsync(port, ProbeTimeout).ConfigureAwait(false);
                        }

                        await connection.GetDatabase().StringSetAsync(ProbeKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), flags: CommandFlags.DemandMaster)
                            .ConfigureAwait(false);
                        return (port, clock.Elapsed);
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        // Paused, not yet promoted, or just demoted: ask the Sentinels again.
                        LogProbeFailed(logger, SentinelClient.Address(port), Math.Round(clock.Elapsed.TotalMilliseconds), ex.GetType().Name);
                    }
                }

                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var connection in connections.Values)
            {
                await CloseAsync(connection).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"No write through the Sentinels succeeded within {GiveUpAfter.TotalSeconds:F0} s.");
    }

    /// <summary>
    /// Closes without waiting for what is still queued: a graceful close sends QUIT and waits for its answer, which a
    /// paused primary gives only when the pause ends.
    /// </summary>
    private static async Task CloseAsync(ConnectionMultiplexer connection)
    {
        await connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>An admin connection to one node that gives up after <paramref name="giveUpAfter"/>.</summary>
    private Task<ConnectionMultiplexer> ConnectAsync(int port, TimeSpan giveUpAfter)
    {
        var timeout = (int)giveUpAfter.TotalMilliseconds;
        return ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { IPAddress.Loopback, port } },
            User = RedisUsers.Admin,
            Password = adminPassword,
            AllowAdmin = true,
            AbortOnConnectFail = true,
            ConnectRetry = 1,
            ConnectTimeout = timeout,
            AsyncTimeout = timeout,
            SyncTimeout = timeout,
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "bookstore-apphost-drill",
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,
        });
    }

    private void LogDrill(string drill, string before, string after, double milliseconds) => LogDrill(logger, drill, before, after, milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A probe write to {Node} failed {Milliseconds} ms into the drill: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string node, double milliseconds, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Drill}: primary was {Before}; a write through the Sentinels succeeded on {After} after {Milliseconds} ms")]
    private static partial void LogDrill(ILogger logger, string drill, string before, string after, double milliseconds);
}

/// <summary>What a drill measured: the primary before and after, and the time until a write succeeded again.</summary>
public sealed record RedisDrillOutcome(string Drill, int PrimaryBefore, int PrimaryAfter, TimeSpan WritesBackAfter)
{
    public bool PrimaryChanged => PrimaryBefore != PrimaryAfter;

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Drill}: writes succeeded again after {WritesBackAfter.TotalSeconds:F2} s, on {SentinelClient.Address(PrimaryAfter)} ({(PrimaryChanged ? "the primary was " + SentinelClient.Address(PrimaryBefore) : "still the same primary")}).");
}
