using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.AppHost.Redis;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// The replicated topology's failover under load, on real processes: a primary, a replica and three Sentinels (quorum 2,
/// down-after 2 s), and the API connected through the Sentinels. 40 requests a second for 40 s (reads of books read
/// before, reads of others, book updates, sign-ins that store a session in Redis); at 10 s the primary is killed
/// (SIGKILL) or stopped (SIGSTOP, woken at 25 s). Sentinel promotes the replica and the API follows by itself.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class SentinelFailoverTests
{
    private const int RequestsPerSecond = 40;
    private const int HotIdCount = 20;
    private const int Readers = 5;

    private static readonly TimeSpan FailAt = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WakeAt = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan WritesBackWithin = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 240_000)]
    [InlineData("SIGKILL")]
    [InlineData("SIGSTOP")]
    public async Task TheApiFollowsTheFailoverWithoutA500AndTheOldPrimaryComesBackAsAReplica(string failure)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await ReplicatedRedis.StartAsync();
        var primary = await redis.PrimaryAsync();
        using var data = new TemporaryDirectory("bookstore-failover-");
        await using var api = new CatalogApiFactory(primary, Path.Combine(data.Path, "catalog.db"), web => web
            .UseSetting("ConnectionStrings:cache", redis.ConnectionString)
            .UseSetting("ConnectionStrings:cache-monitor", redis.ConnectionStringAs(RedisUsers.Monitor, redis.Users.Monitor))
            .UseSetting("Bookstore:Redis:Topology", "Replicated")
            .UseSetting("Bookstore:Redis:PreferReplica", "true"));
        using var http = api.CreateClient();
        using var admin = api.CreateAdminClient();
        http.Timeout = admin.Timeout = TimeSpan.FromSeconds(15);

        var total = (int)(RunFor.TotalSeconds * RequestsPerSecond);
        await api.Store.UpsertImportedBooksAsync(
            [.. Enumerable.Range(1, total).Select(i => new ImportedBook(
                700_000 + i, $"Failover Book {i}", [$"Author {i % 89}"], 3.5, 100_000 - i, null, 1950 + (i % 50), "eng", null))],
            ct);
        var ids = (await api.Store.GetMostPopularBooksAsync(CatalogBulkApi.MaxPopularBooks, ct)).Select(b => b.Id).ToArray();
        var hot = ids[..HotIdCount];
        var writable = new ConcurrentQueue<int>(ids[HotIdCount..(HotIdCount + (total / 10) + 10)]);
        var cold = new ConcurrentQueue<int>(ids[(HotIdCount + (total / 10) + 10)..]);
        foreach (var id in ids[..(HotIdCount + (total / 10) + 10)])
        {
            using var warm = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var run = new ApiLoadRun();
        var failover = new Failover();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var failing = FailAsync(redis, primary, failure, failover, run);
        var probes = run.ProbeAsync(http, stop.Token);
        var inFlight = new List<Task>();
        var sent = 0;
        var random = new Random(23);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / RequestsPerSecond)))
        {
            while (run.Elapsed < RunFor && await timer.WaitForNextTickAsync(ct))
            {
                for (var due = (int)(run.Elapsed.TotalSeconds * RequestsPerSecond); sent < due; sent++)
                {
                    // One request in ten a book update, one in twenty a sign-in (each hashes a password: CPU the 2 cores share).
                    inFlight.Add((sent % 20) switch
                    {
                        9 or 19 => run.WriteBookAsync(admin, writable.TryDequeue(out var w) ? w : throw new InvalidOperationException("Out of books to write."), sent, TitleOf(sent), ct),
                        4 => SignInAsync(api, http, 1 + (sent % Readers), sent, run),
                        _ when sent % 2 == 0 => run.ReadBookAsync(http, hot[random.Next(hot.Length)], "hot", ct),
                        _ => run.ReadBookAsync(http, cold.TryDequeue(out var c) ? c : throw new InvalidOperationException("Out of cold ids."), "cold", ct),
                    });
                }
            }
        }

        await Task.WhenAll(inFlight);
        await failing;
        await stop.CancelAsync();
        await probes;

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

        var table = run.Table($"{failure} of the primary at {failover.FailedAt.TotalSeconds:F1} s, new primary named at {failover.PromotedAt.TotalSeconds:F1} s", failover.FailedAt, failover.PromotedAt, "gap");
        var requests = run.Requests.ToArray();
        var signIns = requests.Where(r => r.Kind == "sign-in").ToArray();
        // Session writes are back when a sign-in answers 201 and every later one until the old primary wakes (SIGSTOP) or
        // the run ends does too. A woken old primary makes the cache refuse writes until the Sentinels demote it.
        var settledUntil = failure == "SIGSTOP" ? WakeAt : RunFor;
        var firstFailedWrite = signIns.Where(r => r.SentAt >= failover.FailedAt && r.Status != 201).Select(r => r.SentAt).DefaultIfEmpty(failover.FailedAt).Min();
        var backAt = signIns
            .Where(r => r.SentAt > failover.FailedAt && r.SentAt < settledUntil && r.Status == 201
                        && signIns.All(o => o.SentAt <= r.SentAt || o.SentAt >= settledUntil || o.Status == 201))
            .Select(r => r.SentAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var refusedAfterWake = signIns.Where(r => r.SentAt >= WakeAt && r.Status == 503).Select(r => r.SentAt).ToArray();

        // Acknowledged session writes lost: every token answered 201 must still open its reader's cart.
        var lost = new List<LoadRequest>();
        foreach (var signIn in signIns.Where(r => r.Status == 201))
        {
            using var reader = api.CreateReaderClient(signIn.Token!);
            using var cart = await reader.GetAsync(new Uri($"/users/{signIn.Id}/cart", UriKind.Relative), ct);
            if (cart.StatusCode == HttpStatusCode.Unauthorized)
            {
                lost.Add(signIn);
            }
        }

        var summary = new StringBuilder(table)
            .AppendLine(CultureInfo.InvariantCulture, $"Sentinels named the new primary {(failover.PromotedAt - failover.FailedAt).TotalSeconds:F2} s after the {failure}")
            .AppendLine(CultureInfo.InvariantCulture, $"sign-ins (session writes) failing from {(firstFailedWrite - failover.FailedAt).TotalSeconds:F2} s, all succeeding again from {(backAt == TimeSpan.MaxValue ? double.NaN : (backAt - failover.FailedAt).TotalSeconds):F2} s after the {failure}")
            .AppendLine(CultureInfo.InvariantCulture, $"acknowledged sessions lost: {lost.Count} of {signIns.Count(r => r.Status == 201)}{(lost.Count > 0 ? " (signed in at " + string.Join(", ", lost.Select(l => l.SentAt.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture))) + " s)" : string.Empty)}")
            .AppendLine(CultureInfo.InvariantCulture, $"old primary's role after: {role} ({demoted.Elapsed.TotalSeconds:F1} s after it was back)")
            .AppendLine(CultureInfo.InvariantCulture, $"sign-ins refused after the old primary woke: {(failure == "SIGSTOP" && refusedAfterWake.Length > 0 ? $"{refusedAfterWake.Length}, the last {(refusedAfterWake.Max() - WakeAt).TotalSeconds:F1} s after it woke" : "none")}")
            .ToString();
        TestContext.Current.TestOutputHelper?.WriteLine(summary);

        Assert.True(requests.Length >= total * 0.9, $"the load ran at its rate ({requests.Length} requests)\n{summary}");
        Assert.True(requests.All(r => r.Status is not (500 or 0)), $"no request failed; these did: {ApiLoadRun.Describe(requests.Where(r => r.Status is 500 or 0))}\n{summary}");
        Assert.True(requests.Where(r => r.Kind == "hot").All(r => r.Status == 200), $"every read of a book read before answered 200; not: {ApiLoadRun.Describe(requests.Where(r => r.Kind == "hot" && r.Status != 200))}\n{summary}");
        Assert.True(requests.Where(r => r.Kind == "cold").All(r => r.Status == 200), $"every other read answered 200; not: {ApiLoadRun.Describe(requests.Where(r => r.Kind == "cold" && r.Status != 200))}\n{summary}");
        Assert.True(requests.Where(r => r.Kind == "write").All(r => r.Status is 200 or 503), $"book writes answered 200 or 503; not: {ApiLoadRun.Describe(requests.Where(r => r.Kind == "write" && r.Status is not (200 or 503)))}\n{summary}");
        Assert.True(signIns.All(r => r.Status is 201 or 503 && (r.Status != 503 || r.RetryAfter)), $"sign-ins answered 201, or 503 with Retry-After; not: {ApiLoadRun.Describe(signIns.Where(r => r.Status is not (201 or 503) || (r.Status == 503 && !r.RetryAfter)))}\n{summary}");
        Assert.True(backAt - failover.FailedAt <= WritesBackWithin, $"session writes succeeded again within {WritesBackWithin.TotalSeconds} s of the {failure}\n{summary}");
        Assert.Equal("slave", role);

        // Readiness: Degraded during the gap, Healthy after it and to the end.
        var health = run.Probes.OrderBy(p => p.SentAt).ToArray();
        Assert.Contains(health, p => p.SentAt > failover.FailedAt && p.Body == "Degraded");
        var settled = Stopwatch.StartNew();
        string body;
        while ((body = await HealthOfAsync(http, ct)) != "Healthy" && settled.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(250, ct);
        }

        Assert.True(body == "Healthy", $"/health Healthy within 10 s of the run's end (it answered {body})\n{summary}");

        // Every book written with a 200 reads back with its new title.
        foreach (var write in requests.Where(r => r.Kind == "write" && r.Status == 200))
        {
            var book = await http.GetFromJsonAsync<JsonElement>(new Uri($"/books/{write.Id}", UriKind.Relative), ct);
            Assert.True(book.GetProperty("title").GetString() == TitleOf(write.Sequence), $"Book {write.Id} written at {write.SentAt.TotalSeconds:F1} s reads back as '{book.GetProperty("title").GetString()}'\n{summary}");
        }
    }

    private static async Task FailAsync(ReplicatedRedis redis, RedisServer primary, string failure, Failover failover, ApiLoadRun run)
    {
        await Task.Delay(FailAt, Ct);
        failover.FailedAt = run.Elapsed;
        await primary.SignalAsync(failure == "SIGKILL" ? "KILL" : "STOP");
        await redis.WaitForNewPrimaryAsync(primary, TimeSpan.FromSeconds(30));
        failover.PromotedAt = run.Elapsed;
        if (failure == "SIGSTOP")
        {
            await Task.Delay(WakeAt - run.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, Ct);
            await primary.SignalAsync("CONT");
        }
    }

    private static Task SignInAsync(CatalogApiFactory api, HttpClient http, int userId, int sequence, ApiLoadRun run) =>
        run.RecordAsync("sign-in", userId, sequence, async () =>
        {
            using var response = await http.PostAsJsonAsync(new Uri("/sessions", UriKind.Relative), new { userId, password = api.ReaderPassword }, Ct);
            var token = response.StatusCode == HttpStatusCode.Created
                ? (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()
                : null;
            return new LoadRequest(default, "sign-in", userId, sequence, (int)response.StatusCode, default)
            {
                Token = token,
                RetryAfter = response.Headers.RetryAfter is not null,
            };
        });

    private static async Task<string> HealthOfAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
        return await response.Content.ReadAsStringAsync(ct);
    }

    private static string TitleOf(int sequence) => $"Written during the failover run, request {sequence}";

    /// <summary>When the primary failed and when the Sentinels named its successor, on the run's clock.</summary>
    private sealed class Failover
    {
        public TimeSpan FailedAt { get; set; }

        public TimeSpan PromotedAt { get; set; }
    }
}
