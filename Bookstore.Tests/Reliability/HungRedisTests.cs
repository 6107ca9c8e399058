using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bookstore.Api.Catalog;
using Bookstore.Tests.Integration.Catalog;
using Bookstore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using StackExchange.Redis;

namespace Bookstore.Tests.Reliability;

/// <summary>
/// A Redis that keeps its connections open and stops answering (the process stopped with SIGSTOP, or every client
/// paused with <c>CLIENT PAUSE</c>), under a steady load of reads and writes through the API. No connection event tells
/// the client; only timeouts do. Reads keep answering from L1 or the store, none waits past a second, the health turns
/// Degraded and back, and no acknowledged write is lost.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(QuietMachineCollection.Name)]
public sealed class HungRedisTests
{
    private const int RequestsPerSecond = 40;
    private const int HotIdCount = 20;

    /// <summary>One request in this many is a write (a title change of a book read before the run, each book once).</summary>
    private const int WriteEvery = 10;

    private static readonly TimeSpan StallAt = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ResumeAt = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SlowestAllowed = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthWithin = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 180_000)]
    [InlineData("SIGSTOP")]
    [InlineData("CLIENT PAUSE")]
    public async Task ReadsAnswerWithinASecondAndNoAcknowledgedWriteIsLostWhileRedisStopsAnswering(string stall)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisServer.StartAsync();
        using var data = new TemporaryDirectory("bookstore-hung-");
        await using var api = new CatalogApiFactory(redis, Path.Combine(data.Path, "catalog.db"));
        using var http = api.CreateClient();
        using var admin = api.CreateAdminClient();
        http.Timeout = admin.Timeout = TimeSpan.FromSeconds(15);

        var writes = (int)(RunFor.TotalSeconds * RequestsPerSecond / WriteEvery) + 10;
        await api.Store.UpsertImportedBooksAsync(
            [.. Enumerable.Range(1, (int)(RunFor.TotalSeconds * RequestsPerSecond))
                .Select(i => new ImportedBook(800_000 + i, $"Hung Book {i}", [$"Author {i % 89}"], 3.5, 100_000 - i, null, 1950 + (i % 50), "eng", null))],
            Ct);
        var ids = (await api.Store.GetMostPopularBooksAsync(CatalogBulkApi.MaxPopularBooks, Ct)).Select(b => b.Id).ToArray();
        var hot = ids[..HotIdCount];
        var writable = new ConcurrentQueue<int>(ids[HotIdCount..(HotIdCount + writes)]);
        var cold = new ConcurrentQueue<int>(ids[(HotIdCount + writes)..]);

        // Every book the run reads or writes is cached before it starts (L1 and L2), so a lost invalidation would show.
        foreach (var id in ids[..(HotIdCount + writes)])
        {
            using var warm = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var run = new ApiLoadRun();
        var phases = new Phases();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stalling = StallAsync(redis, stall, phases, run);
        var probes = run.ProbeAsync(http, stop.Token);

        var inFlight = new List<Task>();
        var sent = 0;
        var random = new Random(17);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / RequestsPerSecond)))
        {
            while (run.Elapsed < RunFor && await timer.WaitForNextTickAsync(Ct))
            {
                for (var due = (int)(run.Elapsed.TotalSeconds * RequestsPerSecond); sent < due; sent++)
                {
                    inFlight.Add(sent % WriteEvery == WriteEvery - 1
                        ? run.WriteBookAsync(admin, writable.TryDequeue(out var w) ? w : throw new InvalidOperationException("Out of books to write."), sent, TitleOf(sent), Ct)
                        : sent % 2 == 0
                            ? run.ReadBookAsync(http, hot[random.Next(hot.Length)], "hot", Ct)
                            : run.ReadBookAsync(http, cold.TryDequeue(out var c) ? c : throw new InvalidOperationException("Out of cold ids."), "cold", Ct));
                }
            }
        }

        await Task.WhenAll(inFlight);
        await stalling;
        await stop.CancelAsync();
        await probes;

        var table = run.Table($"{stall} at {phases.StalledAt.TotalSeconds:F1} s, over at {phases.ResumedAt.TotalSeconds:F1} s", phases.StalledAt, phases.ResumedAt, "stalled");
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        var requests = run.Requests.ToArray();
        Assert.True(requests.Length >= RunFor.TotalSeconds * RequestsPerSecond * 0.9, $"the load ran at its rate ({requests.Length} requests)\n{table}");
        Assert.True(phases.StalledAt > TimeSpan.Zero && phases.ResumedAt > phases.StalledAt, "the stall happened within the run");

        // No 500 anywhere; every read a 200 (L1 for the hot books, the store for the others); writes 200 or 503.
        Assert.True(requests.All(r => r.Status != 500 && r.Status != 0), $"no request failed; these did: {ApiLoadRun.Describe(requests.Where(r => r.Status is 500 or 0))}\n{table}");
        Assert.True(requests.Where(r => r.Kind != "write").All(r => r.Status == 200), $"every read answered 200; not: {ApiLoadRun.Describe(requests.Where(r => r.Kind != "write" && r.Status != 200))}\n{table}");
        Assert.True(requests.Where(r => r.Kind == "write").All(r => r.Status is 200 or 503), $"writes answered 200 or 503; not: {ApiLoadRun.Describe(requests.Where(r => r.Kind == "write" && r.Status is not (200 or 503)))}\n{table}");
        Assert.True(requests.All(r => r.Took <= SlowestAllowed), $"no request took over {SlowestAllowed.TotalSeconds} s; these did: {ApiLoadRun.Describe(requests.Where(r => r.Took > SlowestAllowed))}\n{table}");
        Assert.Contains(requests, r => r.Kind == "hot" && r.SentAt > phases.StalledAt && r.SentAt < phases.ResumedAt);

        // Readiness: Degraded within 5 s of the stall, Healthy within 5 s of its end and from then on.
        var health = run.Probes.OrderBy(p => p.SentAt).ToArray();
        Assert.All(health.Where(p => p.AnsweredAt < phases.StalledAt), p => Assert.Equal("Healthy", p.Body));
        var degraded = health.FirstOrDefault(p => p.SentAt > phases.StalledAt && p.Body == "Degraded");
        Assert.True(degraded is not null && degraded.AnsweredAt - phases.StalledAt <= HealthWithin, $"/health Degraded within {HealthWithin.TotalSeconds} s of the stall\n{table}");
        var healthy = health.FirstOrDefault(p => p.SentAt > phases.ResumedAt && p.Body == "Healthy");
        Assert.True(healthy is not null && healthy.AnsweredAt - phases.ResumedAt <= HealthWithin, $"/health Healthy within {HealthWithin.TotalSeconds} s of the stall's end\n{table}");
        Assert.All(health.Where(p => p.SentAt > healthy.AnsweredAt), p => Assert.Equal("Healthy", p.Body));

        // No acknowledged write lost: every book written with a 200 reads back with its new title, here and from Redis.
        var acknowledged = requests.Where(r => r.Kind == "write" && r.Status == 200).ToArray();
        Assert.Contains(acknowledged, r => r.SentAt > phases.StalledAt && r.SentAt < phases.ResumedAt);
        foreach (var write in acknowledged)
        {
            var book = await http.GetFromJsonAsync<JsonElement>(new Uri($"/books/{write.Id}", UriKind.Relative), Ct);
            Assert.True(book.GetProperty("title").GetString() == TitleOf(write.Sequence),
                $"Book {write.Id}, written at {write.SentAt.TotalSeconds:F1} s (200), reads back as '{book.GetProperty("title").GetString()}'\n{table}");
        }
    }

    private static async Task StallAsync(RedisServer redis, string stall, Phases run, ApiLoadRun clock)
    {
        await Task.Delay(StallAt, Ct);
        if (stall == "SIGSTOP")
        {
            run.StalledAt = clock.Elapsed;
            await redis.SignalAsync("STOP");
            await Task.Delay(ResumeAt - clock.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, Ct);
            await redis.SignalAsync("CONT");
            run.ResumedAt = clock.Elapsed;
            return;
        }

        // CLIENT PAUSE ALL holds every client's commands, the API's included, for the given time; Redis ends it itself.
        await using var operator_ = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var pause = ResumeAt - StallAt;
        run.StalledAt = clock.Elapsed;
        await operator_.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", ((long)pause.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "ALL");
        run.ResumedAt = run.StalledAt + pause;
        await Task.Delay(run.ResumedAt - clock.Elapsed is { Ticks: > 0 } rest ? rest : TimeSpan.Zero, Ct);
    }

    private static string TitleOf(int sequence) => $"Written during the run, request {sequence}";

    /// <summary>When the stall began and ended, on the run's clock.</summary>
    private sealed class Phases
    {
        public TimeSpan StalledAt { get; set; }

        public TimeSpan ResumedAt { get; set; }
    }
}
