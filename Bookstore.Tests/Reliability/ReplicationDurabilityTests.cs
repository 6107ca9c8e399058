using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Bookstore.Tests.Support;
using StackExchange.Redis;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// What asynchronous replication loses when the primary dies, and what <c>WAIT 1 &lt;ms&gt;</c> after a write costs and
/// saves, measured on the replicated topology (real processes, the client connected through the Sentinels).
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class ReplicationDurabilityTests
{
    private const int Writers = 8;
    private const int WaitTimeoutMs = 100;

    [Fact(Timeout = 180_000)]
    public async Task AWriteAcknowledgedByWaitSurvivesTheFailoverAndWaitsCostIsMeasured()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await ReplicatedRedis.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",abortConnect=false,connectTimeout=2000,syncTimeout=1000,asyncTimeout=1000");
        var db = client.GetDatabase();

        // Cost: the same writes, one at a time, without and with WAIT 1 100.
        var plain = await TimeAsync(db, "cost:plain", withWait: false, count: 2_000, ct);
        var waited = await TimeAsync(db, "cost:wait", withWait: true, count: 2_000, ct);

        // Savings: writers as fast as they can, the primary killed after a second; which acknowledged writes survive?
        // Once with plain writes, then (the old primary back as a replica) with WAIT 1 after each.
        var withoutWait = await KillUnderWritesAsync(redis, db, withWait: false, ct);
        await redis.RestartAsReplicaAsync(withoutWait.OldPrimary);
        await redis.WaitUntilReplicasOnlineAsync(TimeSpan.FromSeconds(30));

        // The client has followed the failover and a replica confirms writes again: else the second run measures the
        // client finding the new primary (CI once had 11 confirmed writes in that second).
        var ready = Stopwatch.StartNew();
        while (!await ConfirmedByAReplicaAsync(db) && ready.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, ct);
        }

        var withWait = await KillUnderWritesAsync(redis, db, withWait: true, ct);

        var report = string.Create(
            CultureInfo.InvariantCulture,
            $"""
            | write, one at a time | median | p99 | writes/s |
            |---|---:|---:|---:|
            | SET | {plain.Median:F3} ms | {plain.P99:F3} ms | {plain.PerSecond:F0} |
            | SET + WAIT 1 {WaitTimeoutMs} | {waited.Median:F3} ms | {waited.P99:F3} ms | {waited.PerSecond:F0} |
            | {Writers} writers, SIGKILL of the primary after 1 s | acknowledged | lost after the failover | not confirmed by WAIT | failed |
            |---|---:|---:|---:|---:|
            | SET | {withoutWait.Acknowledged} | {withoutWait.Lost.Count} | | {withoutWait.Failed} |
            | SET + WAIT 1 {WaitTimeoutMs} (confirmed by a replica) | {withWait.Acknowledged} | {withWait.Lost.Count} | {withWait.Unconfirmed} | {withWait.Failed} |
            """);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(withoutWait.Acknowledged > 100 && withWait.Acknowledged > 100, report);
        Assert.True(withWait.Lost.Count == 0, $"writes WAIT confirmed on a replica were lost: {string.Join(", ", withWait.Lost.Take(5))}\n{report}");
    }

    /// <summary>
    /// Writers SET (and WAIT) as fast as they can; the primary is killed after a second. Returns the writes acknowledged
    /// (with WAIT: confirmed by a replica) and those of them the promoted replica does not have.
    /// </summary>
    private static async Task<(int Acknowledged, List<string> Lost, RedisServer OldPrimary, int Unconfirmed, int Failed)> KillUnderWritesAsync(
        ReplicatedRedis redis, IDatabase db, bool withWait, CancellationToken ct)
    {
        var primary = await redis.PrimaryAsync();
        var acknowledged = new ConcurrentBag<string>();
        var (unconfirmed, failed) = (0, 0);
        var phase = withWait ? "wait" : "plain";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(
            async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var key = $"bookstore:durability:{phase}:{w}:{i}";
                    try
                    {
                        await db.StringSetAsync(key, "1");
                        if (!withWait || (long)await db.ExecuteAsync("WAIT", 1, WaitTimeoutMs) >= 1)
                        {
                            acknowledged.Add(key);
                        }
                        else
                        {
                            Interlocked.Increment(ref unconfirmed);
                        }
                    }
                    catch (Exception ex) when (ex is RedisException or TimeoutException)
                    {
                        // Not acknowledged: the primary is gone; the writer goes on until stopped.
                        Interlocked.Increment(ref failed);
                        await Task.Delay(50, CancellationToken.None);
                    }
                }
            },
            CancellationToken.None)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        await primary.SignalAsync("KILL");
        var promoted = await redis.WaitForNewPrimaryAsync(primary, TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionStringTo(promoted));
        var survivors = admin.GetDatabase();
        var lost = new List<string>();
        foreach (var key in acknowledged)
        {
            if (!await survivors.KeyExistsAsync(key))
            {
                lost.Add(key);
            }
        }

        return (acknowledged.Count, lost, primary, unconfirmed, failed);
    }

    private static async Task<bool> ConfirmedByAReplicaAsync(IDatabase db)
    {
        try
        {
            await db.StringSetAsync("bookstore:durability:ready", "1");
            return (long)await db.ExecuteAsync("WAIT", 1, 1000) >= 1;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task<Timing> TimeAsync(IDatabase db, string prefix, bool withWait, int count, CancellationToken ct)
    {
        var took = new double[count];
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            await db.StringSetAsync($"bookstore:{prefix}:{i}", "1");
            if (withWait)
            {
                Assert.Equal(1L, (long)await db.ExecuteAsync("WAIT", 1, WaitTimeoutMs));
            }

            took[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(took);
        return new Timing(took[count / 2], took[(int)(count * 0.99)], count / total.Elapsed.TotalSeconds);
    }

    private sealed record Timing(double Median, double P99, double PerSecond);
}
