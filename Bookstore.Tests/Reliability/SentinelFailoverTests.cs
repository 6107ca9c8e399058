using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// The replicated topology's failover under load, on real processes: a primary, a replica and three Sentinels (quorum 2,
/// down-after 2 s), and the API connected through the Sentinels. 40 requests a second for 40 s (reads of books read
/// before, reads of others, book updates, and sign-ins, which store a session in Redis alone); at 10 s the primary is
/// killed (SIGKILL) or stopped (SIGSTOP, woken at 25 s). Sentinel promotes the replica and the API follows by itself.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed partial class SentinelFailoverTests
{
    private static readonly TimeSpan FailAt = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WakeAt = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan WritesBackWithin = TimeSpan.FromSeconds(10);

    /// <summary>How long sign-ins must keep succeeding for session writes to count as back.</summary>
    private static readonly TimeSpan SteadyFor = TimeSpan.FromSeconds(5);

    /// <summary>Sign-ins refused (503 + Retry-After, a session write over the cache timeout) once writes are back.</summary>
    private const int IsolatedRefusals = 2;

    [Theory(Timeout = 240_000)]
    [InlineData("SIGKILL")]
    [InlineData("SIGSTOP")]
    public async Task TheApiFollowsTheFailoverWithoutA500AndTheOldPrimaryComesBackAsAReplica(string failure)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await ReplicatedRedis.StartAsync();
        var primary = await redis.PrimaryAsync();
        using var data = new TemporaryDirectory("bookstore-failover-");
        await using var api = new CatalogApiFactory(primary, Path.Combine(data.Path, "catalog.db"), web => CatalogApiFactory.UseShippedTimeouts(web
            .UseSetting("ConnectionStrings:cache", redis.ConnectionString)
            .UseSetting("ConnectionStrings:cache-monitor", redis.ConnectionStringAs(RedisUsers.Monitor, redis.Users.Monitor))
            .UseSetting("Bookstore:Redis:Topology", "Replicated")
            .UseSetting("Bookstore:Redis:PreferReplica", "true")));

        // One request in twenty a sign-in: each hashes a password, CPU the 2 cores share with Redis and the Sentinels.
        using var load = new CatalogLoad(api) { SignInEvery = 20 };
        await load.PrepareAsync(RunFor, firstId: 700_000, ct);
        var failover = new Failover();
        await load.RunAsync(RunFor, clock => FailAsync(redis, primary, failure, failover, clock), ct);

        // The old primary, started again (SIGKILL) or woken (SIGSTOP), is a replica of the new one.
        if (failure == "SIGKILL")
        {
            await redis.RestartAsReplicaAsync(primary);
        }

        var demoted = Stopwatch.StartNew();
        string role;
        while ((role = await redis.RoleOfAsync(primary)) != "slave" && demoted.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(200, ct);
        }

        var table = load.Table(
            $"{failure} of the primary at {failover.FailedAt.TotalSeconds:F1} s, new primary named at {failover.PromotedAt.TotalSeconds:F1} s",
            ("before", TimeSpan.Zero),
            ("gap", failover.FailedAt),
            ("after", failover.PromotedAt));
        var signIns = load.Requests.Where(r => r.Kind == "sign-in").ToArray();

        // Session writes are back when a sign-in answers 201 and every one in the next SteadyFor does too (up to the old
        // primary's wake with SIGSTOP: a woken old primary makes the cache refuse writes until the Sentinels demote it).
        // Later, a single session write slower than the shipped 500 ms cache timeout (the 2 cores run three Sentinels, two
        // Redis, the API, the load and its password hashing) is a 503 with Retry-After, as at any time: not the failover.
        // Those are counted apart, and must stay isolated.
        var settledUntil = failure == "SIGSTOP" ? WakeAt : RunFor;
        var backAt = signIns
            .Where(r => r.SentAt > failover.FailedAt && r.SentAt < settledUntil && r.Status == 201
                        && signIns.All(o => o.SentAt <= r.SentAt || o.SentAt >= settledUntil || o.SentAt >= r.SentAt + SteadyFor || o.Status == 201))
            .Select(r => r.SentAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var refusedAfterBack = signIns.Where(r => r.SentAt > backAt && r.SentAt < settledUntil && r.Status != 201).Select(r => r.SentAt).ToArray();
        var refusedAfterWake = signIns.Where(r => r.SentAt >= WakeAt && r.Status == 503).Select(r => r.SentAt).ToArray();

        // Acknowledged session writes lost: every token answered 201 must still open its reader's cart. A 503 says the
        // session could not be looked up yet (the cache may still be refusing calls just after the old primary's
        // demotion), not that it is gone: asked again until it answers 200 (kept) or 401 (lost), for at most 20 s.
        var lost = new List<LoadRequest>();
        var unanswered = new List<LoadRequest>();
        var checking = Stopwatch.StartNew();
        foreach (var signIn in signIns.Where(r => r.Status == 201))
        {
            HttpStatusCode status;
            while ((status = await CartStatusAsync(api, signIn, ct)) == HttpStatusCode.ServiceUnavailable && checking.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(250, ct);
            }

            (status == HttpStatusCode.Unauthorized ? lost : status == HttpStatusCode.OK ? null : unanswered)?.Add(signIn);
        }

        var summary = new StringBuilder(table)
            .AppendLine(CultureInfo.InvariantCulture, $"Sentinels named the new primary {(failover.PromotedAt - failover.FailedAt).TotalSeconds:F2} s after the {failure}")
            .AppendLine(CultureInfo.InvariantCulture, $"session writes back (every sign-in for {SteadyFor.TotalSeconds:F0} s succeeded) from {(backAt == TimeSpan.MaxValue ? double.NaN : (backAt - failover.FailedAt).TotalSeconds):F2} s after the {failure}")
            .AppendLine(CultureInfo.InvariantCulture, $"sign-ins refused after that (before {(failure == "SIGSTOP" ? "the wake" : "the end")}): {(refusedAfterBack.Length == 0 ? "none" : string.Join(", ", refusedAfterBack.Select(t => (t - failover.FailedAt).TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s")) + " after the " + failure)}")
            .AppendLine(load.Pauses.Describe())
            .AppendLine("Sentinels' failover events (their own clocks):")
            .AppendJoin('\n', redis.Sentinels.SelectMany((sentinel, i) => sentinel.Output
                .Where(line => FailoverEvent().IsMatch(line))
                .Select(line => $"  sentinel {i + 1}: {line}")))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"acknowledged sessions lost: {lost.Count} of {signIns.Count(r => r.Status == 201)}{(lost.Count > 0 ? " (signed in at " + string.Join(", ", lost.Select(l => l.SentAt.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture))) + " s)" : string.Empty)}")
            .AppendLine(CultureInfo.InvariantCulture, $"old primary's role after: {role} ({demoted.Elapsed.TotalSeconds:F1} s after it was back)")
            .AppendLine(CultureInfo.InvariantCulture, $"sign-ins refused after the old primary woke: {(failure == "SIGSTOP" && refusedAfterWake.Length > 0 ? $"{refusedAfterWake.Length}, the last {(refusedAfterWake.Max() - WakeAt).TotalSeconds:F1} s after it woke" : "none")}")
            .ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(summary);

        // No 500, every read 200 (the books read before and the others), writes 200 or 503, sign-ins 201 or 503 + Retry-After.
        load.AssertEveryRequestAnswered(RunFor, summary);
        Assert.True(backAt - failover.FailedAt <= WritesBackWithin, $"session writes succeeded again within {WritesBackWithin.TotalSeconds} s of the {failure}\n{summary}");
        Assert.True(refusedAfterBack.Length <= IsolatedRefusals, $"at most {IsolatedRefusals} sign-ins refused once session writes were back\n{summary}");
        Assert.True(lost.Count == 0, $"no acknowledged session was lost\n{summary}");
        Assert.True(unanswered.Count == 0, $"every acknowledged session could be looked up again within 20 s of the run's end ({unanswered.Count} could not)\n{summary}");
        Assert.Equal("slave", role);

        // Readiness: Degraded during the gap, Healthy again once it settles.
        Assert.Contains(load.Probes, p => p.SentAt > failover.FailedAt && p.Body == "Degraded");
        var settled = Stopwatch.StartNew();
        string body;
        while ((body = await HealthOfAsync(api, ct)) != "Healthy" && settled.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(250, ct);
        }

        Assert.True(body == "Healthy", $"/health Healthy within 10 s of the run's end (it answered {body})\n{summary}");

        // Every book written with a 200 reads back with its new title.
        var lostWrites = await load.LostWritesAsync(ct);
        Assert.True(lostWrites.Count == 0, string.Join("\n", lostWrites) + "\n" + summary);
    }

    private static async Task FailAsync(ReplicatedRedis redis, RedisServer primary, string failure, Failover failover, Stopwatch clock)
    {
        var ct = TestContext.Current.CancellationToken;
        await Task.Delay(FailAt, ct);
        failover.FailedAt = clock.Elapsed;
        await primary.SignalAsync(failure == "SIGKILL" ? "KILL" : "STOP");
        await redis.WaitForNewPrimaryAsync(primary, TimeSpan.FromSeconds(30));
        failover.PromotedAt = clock.Elapsed;
        if (failure == "SIGSTOP")
        {
            await Task.Delay(WakeAt - clock.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, ct);
            await primary.SignalAsync("CONT");
        }
    }

    private static async Task<HttpStatusCode> CartStatusAsync(CatalogApiFactory api, LoadRequest signIn, CancellationToken ct)
    {
        using var reader = api.CreateReaderClient(signIn.Token!);
        using var cart = await reader.GetAsync(new Uri($"/users/{signIn.Id}/cart", UriKind.Relative), ct);
        return cart.StatusCode;
    }

    private static async Task<string> HealthOfAsync(CatalogApiFactory api, CancellationToken ct)
    {
        using var http = api.CreateClient();
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    /// <summary>The lines a Sentinel logs as it agrees a primary is down, elects a leader and promotes a replica.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"[+-](sdown|odown|try-failover|vote-for-leader|elected-leader|failover-state-\S+|selected-slave|promoted-slave|switch-master|failover-abort-\S+|failover-end)\b")]
    private static partial System.Text.RegularExpressions.Regex FailoverEvent();

    /// <summary>When the primary failed and when the Sentinels named its successor, on the run's clock.</summary>
    private sealed class Failover
    {
        public TimeSpan FailedAt { get; set; }

        public TimeSpan PromotedAt { get; set; }
    }
}
