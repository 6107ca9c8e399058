using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
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

        var run = new Run();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stalling = StallAsync(redis, stall, run, clock);
        var probes = ProbeAsync(http, run, clock, stop.Token);

        var inFlight = new List<Task>();
        var sent = 0;
        var random = new Random(17);
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / RequestsPerSecond)))
        {
            while (clock.Elapsed < RunFor && await timer.WaitForNextTickAsync(Ct))
            {
                for (var due = (int)(clock.Elapsed.TotalSeconds * RequestsPerSecond); sent < due; sent++)
                {
                    inFlight.Add(sent % WriteEvery == WriteEvery - 1
                        ? WriteAsync(admin, writable.TryDequeue(out var w) ? w : throw new InvalidOperationException("Out of books to write."), sent, run, clock)
                        : sent % 2 == 0
                            ? ReadAsync(http, hot[random.Next(hot.Length)], "hot", run, clock)
                            : ReadAsync(http, cold.TryDequeue(out var c) ? c : throw new InvalidOperationException("Out of cold ids."), "cold", run, clock));
                }
            }
        }

        await Task.WhenAll(inFlight);
        await stalling;
        await stop.CancelAsync();
        await probes;

        var table = run.Table(stall);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        var requests = run.Requests.ToArray();
        Assert.True(requests.Length >= RunFor.TotalSeconds * RequestsPerSecond * 0.9, $"the load ran at its rate ({requests.Length} requests)\n{table}");
        Assert.True(run.StalledAt > TimeSpan.Zero && run.ResumedAt > run.StalledAt, "the stall happened within the run");

        // No 500 anywhere; every read a 200 (L1 for the hot books, the store for the others); writes 200 or 503.
        Assert.True(requests.All(r => r.Status != 500 && r.Status != 0), $"no request failed; these did: {Describe(requests.Where(r => r.Status is 500 or 0))}\n{table}");
        Assert.True(requests.Where(r => r.Kind != "write").All(r => r.Status == 200), $"every read answered 200; not: {Describe(requests.Where(r => r.Kind != "write" && r.Status != 200))}\n{table}");
        Assert.True(requests.Where(r => r.Kind == "write").All(r => r.Status is 200 or 503), $"writes answered 200 or 503; not: {Describe(requests.Where(r => r.Kind == "write" && r.Status is not (200 or 503)))}\n{table}");
        Assert.True(requests.All(r => r.Took <= SlowestAllowed), $"no request took over {SlowestAllowed.TotalSeconds} s; these did: {Describe(requests.Where(r => r.Took > SlowestAllowed))}\n{table}");
        Assert.Contains(requests, r => r.Kind == "hot" && r.SentAt > run.StalledAt && r.SentAt < run.ResumedAt);

        // Readiness: Degraded within 5 s of the stall, Healthy within 5 s of its end and from then on.
        var health = run.Probes.OrderBy(p => p.SentAt).ToArray();
        Assert.All(health.Where(p => p.AnsweredAt < run.StalledAt), p => Assert.Equal("Healthy", p.Body));
        var degraded = health.FirstOrDefault(p => p.SentAt > run.StalledAt && p.Body == "Degraded");
        Assert.True(degraded is not null && degraded.AnsweredAt - run.StalledAt <= HealthWithin, $"/health Degraded within {HealthWithin.TotalSeconds} s of the stall\n{table}");
        var healthy = health.FirstOrDefault(p => p.SentAt > run.ResumedAt && p.Body == "Healthy");
        Assert.True(healthy is not null && healthy.AnsweredAt - run.ResumedAt <= HealthWithin, $"/health Healthy within {HealthWithin.TotalSeconds} s of the stall's end\n{table}");
        Assert.All(health.Where(p => p.SentAt > healthy.AnsweredAt), p => Assert.Equal("Healthy", p.Body));

        // No acknowledged write lost: every book written with a 200 reads back with its new title, here and from Redis.
        var acknowledged = requests.Where(r => r.Kind == "write" && r.Status == 200).ToArray();
        Assert.Contains(acknowledged, r => r.SentAt > run.StalledAt && r.SentAt < run.ResumedAt);
        foreach (var write in acknowledged)
        {
            var book = await http.GetFromJsonAsync<JsonElement>(new Uri($"/books/{write.Id}", UriKind.Relative), Ct);
            Assert.True(book.GetProperty("title").GetString() == TitleOf(write.Sequence),
                $"Book {write.Id}, written at {write.SentAt.TotalSeconds:F1} s (200), reads back as '{book.GetProperty("title").GetString()}'\n{table}");
        }
    }

    private static async Task StallAsync(RedisServer redis, string stall, Run run, Stopwatch clock)
    {
        await Task.Delay(StallAt, Ct);
        if (stall == "SIGSTOP")
        {
            run.StalledAt = clock.Elapsed;
            await SignalAsync(redis, "STOP");
            await Task.Delay(ResumeAt - clock.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, Ct);
            await SignalAsync(redis, "CONT");
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

    private static async Task SignalAsync(RedisServer redis, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, redis.ProcessId!.Value.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(Ct);
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task ReadAsync(HttpClient http, int id, string kind, Run run, Stopwatch clock)
    {
        var sentAt = clock.Elapsed;
        try
        {
            using var response = await http.GetAsync(new Uri($"/books/{id}", UriKind.Relative), Ct);
            run.Requests.Add(new Request(sentAt, kind, id, 0, (int)response.StatusCode, clock.Elapsed - sentAt));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            run.Requests.Add(new Request(sentAt, kind, id, 0, 0, clock.Elapsed - sentAt));
        }
    }

    private static async Task WriteAsync(HttpClient admin, int id, int sequence, Run run, Stopwatch clock)
    {
        var sentAt = clock.Elapsed;
        try
        {
            using var response = await admin.PutAsJsonAsync(
                new Uri($"/books/{id}", UriKind.Relative), new { title = TitleOf(sequence), authors = new[] { "Hung Author" }, price = 9.99m }, Ct);
            run.Requests.Add(new Request(sentAt, "write", id, sequence, (int)response.StatusCode, clock.Elapsed - sentAt));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            run.Requests.Add(new Request(sentAt, "write", id, sequence, 0, clock.Elapsed - sentAt));
        }
    }

    private static string TitleOf(int sequence) => $"Written during the run, request {sequence}";

    private static async Task ProbeAsync(HttpClient http, Run run, Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sentAt = clock.Elapsed;
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), stop);
                run.Probes.Add(new Probe(sentAt, clock.Elapsed, (int)response.StatusCode, await response.Content.ReadAsStringAsync(stop)));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static string Describe(IEnumerable<Request> requests) =>
        string.Join("; ", requests.Take(10).Select(r => $"t={r.SentAt.TotalSeconds:F2}s {r.Kind} {r.Id} -> {r.Status} in {r.Took.TotalMilliseconds:F0} ms"));

    private sealed record Request(TimeSpan SentAt, string Kind, int Id, int Sequence, int Status, TimeSpan Took);

    private sealed record Probe(TimeSpan SentAt, TimeSpan AnsweredAt, int Status, string Body);

    private sealed class Run
    {
        public ConcurrentBag<Request> Requests { get; } = [];

        public ConcurrentBag<Probe> Probes { get; } = [];

        public TimeSpan StalledAt { get; set; }

        public TimeSpan ResumedAt { get; set; }

        /// <summary>Per phase and kind: requests, statuses, slowest; and when /health changed.</summary>
        public string Table(string stall)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"{stall} at {StalledAt.TotalSeconds:F1} s, over at {ResumedAt.TotalSeconds:F1} s");
            text.AppendLine("| phase | kind | requests | statuses | slowest (ms) |");
            text.AppendLine("|---|---|---:|---|---:|");
            foreach (var phase in Requests.GroupBy(r => r.SentAt < StalledAt ? "before" : r.SentAt < ResumedAt ? "stalled" : "after").OrderBy(g => g.Min(r => r.SentAt)))
            {
                foreach (var kind in phase.GroupBy(r => r.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var statuses = string.Join(' ', kind.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
                    text.AppendLine(CultureInfo.InvariantCulture, $"| {phase.Key} | {kind.Key} | {kind.Count()} | {statuses} | {kind.Max(r => r.Took.TotalMilliseconds):F0} |");
                }
            }

            string? last = null;
            foreach (var probe in Probes.OrderBy(p => p.SentAt))
            {
                if (probe.Body != last)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"/health {probe.Body} from {probe.SentAt.TotalSeconds:F2} s");
                    last = probe.Body;
                }
            }

            return text.ToString();
        }
    }
}
